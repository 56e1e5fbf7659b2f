"""Spanish (Spain): «a, b y c», «unas 14 mil líneas», «marzo de 2024»."""

from __future__ import annotations

from repo2video_dagster.lib.script.languages.base import Language, Noun
from repo2video_dagster.lib.script.languages.facts import Facts

NOUNS = {
    "file": Noun("un archivo", "archivos"),
    "line": Noun("una línea", "líneas"),
    "commit": Noun("un cambio", "cambios"),
    "contributor": Noun("una persona", "personas"),
    "star": Noun("una estrella", "estrellas"),
    "fork": Noun("un fork", "forks"),
    "package": Noun("un paquete", "paquetes"),
    "part": Noun("una parte", "partes"),
    "step": Noun("un paso", "pasos"),
}


def hook(f: Facts, t: Language) -> list[str]:
    kind = f"un proyecto en {f.primary}" if f.primary else "un repositorio pequeño"
    return [f"Te presento {f.name}, {kind}.", "Aquí tienes el recorrido en un minuto."]


def problem(f: Facts, t: Language) -> list[str]:
    return [
        "¿Por qué existe?",
        "La documentación explica el problema que resuelve, y lo ves en pantalla.",
    ]


def what(f: Facts, t: Language) -> list[str]:
    out = ["Esto es lo que ofrece, según su documentación."] if f.has_features else []
    size = t.count(f.files, "file")
    if f.lines:
        size += f" y {t.count(f.lines, 'line')} de código"
    if f.primary:
        how = "por completo" if f.entirely else "sobre todo"
        out.append(f"Está escrito {how} en {f.primary}, con {size}.")
    else:
        out.append(f"El repositorio tiene {size}.")
    return out


def picture(f: Facts, t: Language) -> list[str]:
    if f.logo:
        return ["Este es su logotipo, tomado del repositorio."]
    return ["Así se ve, directamente desde el repositorio."]


def architecture(f: Facts, t: Language) -> list[str]:
    out: list[str] = []
    if len(f.parts) >= 2:
        lead = "Por dentro, el código se divide en" if f.graph else "Las piezas principales son"
        out.append(f"{lead} {t.spoken_list(f.parts)}.")
    elif f.parts:
        out.append(f"El corazón del proyecto es {f.parts[0]}.")
    if f.hub:
        out.append(f"{f.hub[0]} está en el centro: {t.count(f.hub[1], 'part')} lo importan.")
    extras = ["pruebas"] * f.has_tests + ["documentación"] * f.has_docs
    if extras:
        out.append(f"También incluye {t.spoken_list(extras)}.")
    return out or ["No hay mucho árbol de código del que hablar."]


def dependencies(f: Facts, t: Language) -> list[str]:
    if f.deps_total > len(f.deps):
        return [
            f"Depende de {t.count(f.deps_total, 'package')}, entre ellos {t.spoken_list(f.deps)}."
        ]
    return [f"Se apoya en {t.spoken_list(f.deps)}."]


def languages(f: Facts, t: Language) -> list[str]:
    (lead, share), rest = f.shares[0], f.shares[1:]
    if not rest or share >= 0.995:
        return [f"Todo es {lead}."]
    others = [f"{name} con un {t.pct(s)}" for name, s in rest]
    return [f"{lead} supone el {t.pct(share)} del código.", f"El resto es {t.spoken_list(others)}."]


def install(f: Facts, t: Language) -> list[str]:
    if f.tool:
        out = [f"Se instala con {f.tool}; el comando está en pantalla."]
    elif f.install_steps:
        out = ["La documentación detalla la instalación, y la ves en pantalla."]
    else:
        out = [
            "La documentación no da pasos de instalación, así que empieza clonando el repositorio."
        ]
    if f.install_steps > 1:
        out.append(f"Son {t.count(f.install_steps, 'step')} en total.")
    return out


def usage(f: Facts, t: Language) -> list[str]:
    if f.usage_from_readme:
        return ["Aquí tienes un ejemplo sacado de la documentación."]
    return ["Aquí tienes un ejemplo de uso, tomado del propio código."]


def code(f: Facts, t: Language) -> list[str]:
    where = f", del archivo {f.code_file}" if f.code_file else ""
    return [f"Y este es un fragmento del código fuente{where}."]


def activity(f: Facts, t: Language) -> list[str]:
    first, last = t.month_year(f.first), t.month_year(f.last)
    if f.commits == 0:
        return ["Todavía no hay historial de cambios."]
    if f.commits == 1:
        return [f"El historial es un solo cambio{f', de {first}' if first else ''}."]
    who = ""
    if f.people == 1:
        who = " de una sola persona"
    elif f.people > 1:
        who = f" de {'al menos ' if f.truncated else ''}{t.count(f.people, 'contributor')}"
    out = [
        f"El historial suma {'al menos ' if f.truncated else ''}{t.count(f.commits, 'commit')}{who}."
    ]
    if first and last and first != last:
        out.append(f"El trabajo empezó en {first}, y el último cambio es de {last}.")
    if f.stars is not None:
        out.append(f"Tiene {t.count(f.stars, 'star')}.")
    return out


def outro(f: Facts, t: Language) -> list[str]:
    out = [
        "Pruébalo: el comando de instalación está en pantalla."
        if f.tool
        else f"Para probar {f.name}, clona el repositorio y sigue su documentación."
    ]
    out.append(
        f"Se publica bajo la licencia {f.license}."
        if f.license
        else "No tiene licencia, así que consulta a sus autores antes de reutilizarlo."
    )
    return out


def description(f: Facts, t: Language) -> str:
    return (
        f"Un recorrido de un minuto por {f.name}: cómo instalarlo y usarlo, "
        "cómo está organizado el código y quién trabaja en él."
    )


LANGUAGE = Language(
    code="es",
    name="Español",
    english_name="Spanish",
    espeak_voice="es+klatt3",
    and_word="y",
    months=(
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),  # fmt: skip
    month_pattern="{month} de {year}",
    about="cerca de",
    thousand="mil",
    million_one="millón",
    million_many="millones",
    decimal=",",
    percent="por ciento",
    nouns=NOUNS,
    title_pattern="{name} en 60 segundos",
    headings={
        "hook": "Presentación",
        "problem": "El problema",
        "what": "Qué es",
        "picture": "Un vistazo",
        "architecture": "Cómo funciona",
        "dependencies": "En qué se apoya",
        "languages": "Lenguajes",
        "install": "Instalación",
        "usage": "Cómo se usa",
        "code": "El código",
        "activity": "Actividad",
        "outro": "Pruébalo",
    },
    scenes={
        "hook": hook,
        "problem": problem,
        "what": what,
        "picture": picture,
        "architecture": architecture,
        "dependencies": dependencies,
        "languages": languages,
        "install": install,
        "usage": usage,
        "code": code,
        "activity": activity,
        "outro": outro,
    },
    description=description,
    espeak_wpm=160,
)
