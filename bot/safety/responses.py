"""What the bot says when the crisis check fires, and for /resources.

Plain text, short and warm, following safe-messaging practice (988 Lifeline guidance,
#chatsafe): the bot does not debate, lecture, minimise, diagnose, ask about methods or promise
secrecy. It says it is a coach and not a crisis service, gives one concrete way to reach a
person, asks about safety right now when the message is urgent, and says how to continue.
"""

from __future__ import annotations

from bot.safety.detector import Assessment, Level
from bot.safety.resources import Resource, ResourceSet, base_language

_TEXT: dict[str, dict[str, str]] = {
    "en": {
        "concern": "Thank you for telling me. That sounds really heavy, and you deserve support "
                   "from a person right now.",
        "urgent": "I'm really glad you told me. Are you safe right now?",
        "urgent_emergency": "If you are in danger or might act on this, please call {number} now.",
        "urgent_no_country": "If you are in danger or might act on this, please call your local "
                             "emergency number now.",
        "third": "Thank you for looking out for them. You don't have to handle this alone.",
        "third_help": "You can stay with them, listen without judging, and help them reach a "
                      "helpline. The same helpline is there for you too.",
        "third_emergency": "If they are in danger right now, call {number}.",
        "third_no_country": "If they are in danger right now, call your local emergency number.",
        "coach": "I'm a coaching bot, not a crisis service, so I want to point you to people who "
                 "can help.",
        "contact": "You can reach {name}: {how}.",
        "directory": "Find a free helpline where you are at {url}",
        "community": "In {country}: {line}",
        "paused": "I've paused our coaching. When you want to go on, type continue or use "
                  "/coach resume. There's no hurry.",
        "followup": "I'm still here, and our coaching is paused for now.",
        "resources_title": "Help you can reach any time:",
        "crisis_title": "If you're struggling or thinking about suicide:",
        "therapy_title": "For longer-term support, like therapy or counselling:",
        "emergency_line": "In an emergency, call {number}.",
        "emergency_unknown": "In an emergency, call your local emergency number.",
        "call": "call {phone}", "text": "text {sms}", "text_kw": "text {keyword} to {sms}",
        "call_or_text": "call or text {phone}", "or": " or ", "visit": "{url}",
    },
    "es": {
        "concern": "Gracias por contármelo. Suena muy pesado, y mereces el apoyo de una persona "
                   "ahora mismo.",
        "urgent": "Me alegra mucho que me lo hayas dicho. ¿Estás a salvo ahora mismo?",
        "urgent_emergency": "Si estás en peligro o podrías hacerte daño, llama ahora al {number}.",
        "urgent_no_country": "Si estás en peligro o podrías hacerte daño, llama ahora al número "
                             "de emergencias de tu país.",
        "third": "Gracias por cuidar de esa persona. No tienes que cargar con esto a solas.",
        "third_help": "Puedes quedarte con ella, escucharla sin juzgar y ayudarla a contactar una "
                      "línea de ayuda. Esa línea también está para ti.",
        "third_emergency": "Si está en peligro ahora mismo, llama al {number}.",
        "third_no_country": "Si está en peligro ahora mismo, llama al número de emergencias.",
        "coach": "Soy un bot de coaching, no un servicio de crisis, así que quiero indicarte "
                 "personas que pueden ayudarte.",
        "contact": "Puedes contactar con {name}: {how}.",
        "directory": "Encuentra una línea de ayuda gratuita donde estés en {url}",
        "community": "En {country}: {line}",
        "paused": "He pausado nuestro coaching. Cuando quieras seguir, escribe continue o usa "
                  "/coach resume. No hay prisa.",
        "followup": "Sigo aquí, y nuestro coaching está en pausa por ahora.",
        "resources_title": "Ayuda a la que puedes acudir en cualquier momento:",
        "crisis_title": "Si lo estás pasando mal o piensas en el suicidio:",
        "therapy_title": "Para apoyo a largo plazo, como terapia:",
        "emergency_line": "En una emergencia, llama al {number}.",
        "emergency_unknown": "En una emergencia, llama al número de emergencias de tu país.",
        "call": "llama al {phone}", "text": "escribe al {sms}",
        "text_kw": "envía {keyword} al {sms}", "call_or_text": "llama o escribe al {phone}",
        "or": " o ", "visit": "{url}",
    },
    "fr": {
        "concern": "Merci de me le dire. Ça a l'air vraiment lourd, et tu mérites le soutien "
                   "d'une personne dès maintenant.",
        "urgent": "Je suis vraiment content que tu me l'aies dit. Es-tu en sécurité en ce "
                  "moment ?",
        "urgent_emergency": "Si tu es en danger ou si tu risques de passer à l'acte, appelle le "
                            "{number} maintenant.",
        "urgent_no_country": "Si tu es en danger ou si tu risques de passer à l'acte, appelle "
                             "les urgences maintenant.",
        "third": "Merci de veiller sur cette personne. Tu n'as pas à gérer ça seul.",
        "third_help": "Tu peux rester avec elle, l'écouter sans juger et l'aider à contacter "
                      "une ligne d'écoute. Cette ligne est aussi là pour toi.",
        "third_emergency": "Si elle est en danger maintenant, appelle le {number}.",
        "third_no_country": "Si elle est en danger maintenant, appelle les urgences.",
        "coach": "Je suis un bot de coaching, pas un service de crise, alors je veux t'orienter "
                 "vers des personnes qui peuvent aider.",
        "contact": "Tu peux joindre {name} : {how}.",
        "directory": "Trouve une ligne d'écoute gratuite près de chez toi sur {url}",
        "community": "En {country} : {line}",
        "paused": "J'ai mis notre coaching en pause. Quand tu veux reprendre, écris continue ou "
                  "utilise /coach resume. Rien ne presse.",
        "followup": "Je suis toujours là, et notre coaching est en pause pour l'instant.",
        "resources_title": "De l'aide disponible à tout moment :",
        "crisis_title": "Si tu traverses un moment difficile ou penses au suicide :",
        "therapy_title": "Pour un soutien sur la durée, comme une thérapie :",
        "emergency_line": "En cas d'urgence, appelle le {number}.",
        "emergency_unknown": "En cas d'urgence, appelle les urgences.",
        "call": "appelle le {phone}", "text": "envoie un SMS au {sms}",
        "text_kw": "envoie {keyword} au {sms}", "call_or_text": "appelle ou écris au {phone}",
        "or": " ou ", "visit": "{url}",
    },
    "de": {
        "concern": "Danke, dass du es mir sagst. Das klingt wirklich schwer, und du verdienst "
                   "jetzt Unterstützung von einem Menschen.",
        "urgent": "Ich bin froh, dass du es mir gesagt hast. Bist du gerade in Sicherheit?",
        "urgent_emergency": "Wenn du in Gefahr bist oder dir etwas antun könntest, ruf bitte "
                            "jetzt die {number} an.",
        "urgent_no_country": "Wenn du in Gefahr bist oder dir etwas antun könntest, ruf bitte "
                             "jetzt den Notruf an.",
        "third": "Danke, dass du auf diese Person achtest. Du musst das nicht allein tragen.",
        "third_help": "Du kannst bei ihr bleiben, ohne Urteil zuhören und ihr helfen, ein "
                      "Hilfetelefon zu erreichen. Es ist auch für dich da.",
        "third_emergency": "Wenn die Person gerade in Gefahr ist, ruf die {number} an.",
        "third_no_country": "Wenn die Person gerade in Gefahr ist, ruf den Notruf an.",
        "coach": "Ich bin ein Coaching-Bot, kein Krisendienst, deshalb möchte ich dir Menschen "
                 "zeigen, die helfen können.",
        "contact": "Du erreichst {name}: {how}.",
        "directory": "Ein kostenloses Hilfetelefon in deiner Nähe findest du unter {url}",
        "community": "In {country}: {line}",
        "paused": "Ich habe unser Coaching pausiert. Wenn du weitermachen willst, schreib "
                  "continue oder nutze /coach resume. Lass dir Zeit.",
        "followup": "Ich bin noch da, und unser Coaching ist erst einmal pausiert.",
        "resources_title": "Hilfe, die du jederzeit erreichen kannst:",
        "crisis_title": "Wenn es dir schlecht geht oder du an Suizid denkst:",
        "therapy_title": "Für längere Unterstützung, zum Beispiel Psychotherapie:",
        "emergency_line": "Im Notfall ruf die {number} an.",
        "emergency_unknown": "Im Notfall ruf den Notruf an.",
        "call": "ruf {phone} an", "text": "schreib eine SMS an {sms}",
        "text_kw": "schreib {keyword} an {sms}", "call_or_text": "ruf an oder schreib an {phone}",
        "or": " oder ", "visit": "{url}",
    },
    "pt": {
        "concern": "Obrigado por me contar. Parece muito pesado, e você merece o apoio de uma "
                   "pessoa agora.",
        "urgent": "Que bom que você me contou. Você está em segurança agora?",
        "urgent_emergency": "Se você está em perigo ou pode agir sobre isso, ligue agora para "
                            "{number}.",
        "urgent_no_country": "Se você está em perigo ou pode agir sobre isso, ligue agora para o "
                             "número de emergência local.",
        "third": "Obrigado por cuidar dessa pessoa. Você não precisa lidar com isso sozinho.",
        "third_help": "Você pode ficar com ela, ouvir sem julgar e ajudá-la a falar com uma "
                      "linha de apoio. Essa linha também está aí para você.",
        "third_emergency": "Se ela estiver em perigo agora, ligue para {number}.",
        "third_no_country": "Se ela estiver em perigo agora, ligue para o número de emergência.",
        "coach": "Sou um bot de coaching, não um serviço de crise, então quero indicar pessoas "
                 "que podem ajudar.",
        "contact": "Você pode falar com {name}: {how}.",
        "directory": "Encontre uma linha de apoio gratuita onde você está em {url}",
        "community": "Em {country}: {line}",
        "paused": "Pausei nosso coaching. Quando quiser continuar, escreva continue ou use "
                  "/coach resume. Sem pressa.",
        "followup": "Continuo aqui, e nosso coaching está pausado por enquanto.",
        "resources_title": "Ajuda que você pode procurar a qualquer momento:",
        "crisis_title": "Se você está passando por um momento difícil ou pensando em suicídio:",
        "therapy_title": "Para apoio a longo prazo, como terapia:",
        "emergency_line": "Em uma emergência, ligue para {number}.",
        "emergency_unknown": "Em uma emergência, ligue para o número de emergência local.",
        "call": "ligue para {phone}", "text": "mande mensagem para {sms}",
        "text_kw": "mande {keyword} para {sms}", "call_or_text": "ligue ou mande mensagem para "
                                                                  "{phone}",
        "or": " ou ", "visit": "{url}",
    },
}


def _t(language: str | None) -> dict[str, str]:
    return _TEXT.get(base_language(language), _TEXT["en"])


def _how(res: Resource, t: dict[str, str]) -> str:
    ways: list[str] = []
    if res.phone and res.sms and res.phone == res.sms and not res.keyword:
        ways.append(t["call_or_text"].format(phone=res.phone))
    else:
        if res.phone:
            ways.append(t["call"].format(phone=res.phone))
        if res.sms:
            ways.append(t["text_kw"].format(keyword=res.keyword, sms=res.sms) if res.keyword
                        else t["text"].format(sms=res.sms))
    how = t["or"].join(ways)
    if res.url:
        how = f"{how} ({res.url})" if how else t["visit"].format(url=res.url)
    return how


def _line(res: Resource, t: dict[str, str]) -> str:
    line = t["contact"].format(name=res.name, how=_how(res, t))
    if res.url and line.endswith(res.url + "."):
        line = line[:-1]  # a full stop glued to a link breaks it in some clients
    return f"{line} {res.note}" if res.note else line


def _contact_lines(resources: ResourceSet, t: dict[str, str]) -> list[str]:
    """One concrete contact: the country's first helpline, or the directory (+ community)."""
    if resources.directory is None:
        return [_line(resources.crisis[0], t)] if resources.crisis else []
    lines = [t["directory"].format(url=resources.directory.url or "https://findahelpline.com")]
    if resources.community_default and resources.crisis:
        lines.append(t["community"].format(country=resources.country_name or resources.country,
                                           line=_line(resources.crisis[0], t)))
    return lines


def _emergency(resources: ResourceSet) -> str | None:
    # The member's own country only: a community default may be another country's number.
    return None if resources.community_default else resources.emergency


def crisis_reply(assessment: Assessment, resources: ResourceSet, language: str | None) -> str:
    t = _t(language)
    number = _emergency(resources)
    parts: list[str] = []
    if assessment.category == "third_party":
        parts.append(t["third"])
        if assessment.level is Level.URGENT:
            parts.append(t["third_emergency"].format(number=number) if number
                         else t["third_no_country"])
        parts.append(t["third_help"])
    elif assessment.level is Level.URGENT:
        parts.append(t["urgent"])
        parts.append(t["urgent_emergency"].format(number=number) if number
                     else t["urgent_no_country"])
    else:
        parts.append(t["concern"])
    parts.append(t["coach"])
    parts.extend(_contact_lines(resources, t))
    parts.append(t["paused"])
    return "\n\n".join([parts[0] + " " + parts[1], *parts[2:]]) if len(parts) > 1 else parts[0]


def followup_reply(resources: ResourceSet, language: str | None) -> str:
    t = _t(language)
    return "\n\n".join([t["followup"], *_contact_lines(resources, t), t["paused"]])


def resources_reply(resources: ResourceSet, language: str | None) -> str:
    t = _t(language)
    lines = [t["resources_title"], "", t["crisis_title"]]
    if resources.directory is not None:
        lines.append(t["directory"].format(url=resources.directory.url))
        if resources.community_default:
            lines.extend(t["community"].format(
                country=resources.country_name or resources.country, line=_line(r, t))
                for r in resources.crisis)
    else:
        lines.extend(_line(r, t) for r in resources.crisis)
    number = _emergency(resources)
    lines.append(t["emergency_line"].format(number=number) if number
                         else t["emergency_unknown"])
    if resources.therapy:
        lines.extend(["", t["therapy_title"]])
        lines.extend(_line(r, t) for r in resources.therapy)
    return "\n".join(lines)
