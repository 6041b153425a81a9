"""The Discord transport: the only part of coachbot that imports `discord`.

`runner.run_discord(config)` starts it; `client.CoachBot` turns Discord events into the
coach's `Inbound` and its `Outbound` back into messages, buttons, selects and modals.
"""
