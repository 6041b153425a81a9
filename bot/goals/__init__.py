"""Goals with if-then plans, check-ins and reviews."""
