"""German: „a, b und c", „etwa 14 tausend Zeilen", „März 2024"."""

from __future__ import annotations

from repo2video_dagster.lib.script.languages.base import Language, Noun
from repo2video_dagster.lib.script.languages.facts import Facts

NOUNS = {
    "file": Noun("eine Datei", "Dateien"),
    "line": Noun("eine Zeile", "Zeilen"),
    "commit": Noun("eine Änderung", "Änderungen"),
    "contributor": Noun("einer Person", "Personen"),
    "star": Noun("einen Stern", "Sterne"),
    "fork": Noun("einen Fork", "Forks"),
    "package": Noun("einem Paket", "Paketen"),
    "part": Noun("ein Teil", "Teile"),
    "step": Noun("ein Schritt", "Schritte"),
}


def hook(f: Facts, t: Language) -> list[str]:
    kind = f"ein Projekt in {f.primary}" if f.primary else "ein kleines Repository"
    return [f"Das ist {f.name}, {kind}.", "Hier ist die Tour in einer Minute."]


def problem(f: Facts, t: Language) -> list[str]:
    return [
        "Warum gibt es das?",
        "Die Dokumentation beschreibt das Problem, und du siehst es hier.",
    ]


def what(f: Facts, t: Language) -> list[str]:
    out = ["Das bietet es laut seiner Dokumentation."] if f.has_features else []
    size = t.count(f.files, "file")
    if f.lines:
        size += f" und {t.count(f.lines, 'line')} Code"
    if f.primary:
        how = "komplett" if f.entirely else "hauptsächlich"
        out.append(f"Es ist {how} in {f.primary} geschrieben, mit {size}.")
    else:
        out.append(f"Das Repository enthält {size}.")
    return out


def picture(f: Facts, t: Language) -> list[str]:
    if f.logo:
        return ["Das ist sein Logo, direkt aus dem Repository."]
    return ["So sieht es aus, direkt aus dem Repository."]


def architecture(f: Facts, t: Language) -> list[str]:
    out: list[str] = []
    if len(f.parts) >= 2:
        lead = "Intern teilt sich der Code in" if f.graph else "Die wichtigsten Teile sind"
        out.append(f"{lead} {t.spoken_list(f.parts)}{' auf' if f.graph else ''}.")
    elif f.parts:
        out.append(f"Das Herzstück ist {f.parts[0]}.")
    if f.hub:
        out.append(f"{f.hub[0]} steht in der Mitte: {t.count(f.hub[1], 'part')} importieren es.")
    extras = ["Tests"] * f.has_tests + ["Dokumentation"] * f.has_docs
    if extras:
        out.append(f"Dazu kommen {t.spoken_list(extras)}.")
    return out or ["Es gibt kaum einen Quellbaum zu zeigen."]


def dependencies(f: Facts, t: Language) -> list[str]:
    if f.deps_total > len(f.deps):
        return [
            f"Es hängt von {t.count(f.deps_total, 'package')} ab, darunter {t.spoken_list(f.deps)}."
        ]
    return [f"Es baut auf {t.spoken_list(f.deps)} auf."]


def languages(f: Facts, t: Language) -> list[str]:
    (lead, share), rest = f.shares[0], f.shares[1:]
    if not rest or share >= 0.995:
        return [f"Alles ist {lead}."]
    others = [f"{name} mit {t.pct(s)}" for name, s in rest]
    return [f"{lead} macht {t.pct(share)} des Codes aus.", f"Der Rest ist {t.spoken_list(others)}."]


def install(f: Facts, t: Language) -> list[str]:
    if f.tool:
        out = [f"Installiert wird es mit {f.tool}; der Befehl steht im Bild."]
    elif f.install_steps:
        out = ["Die Dokumentation erklärt die Installation, du siehst sie im Bild."]
    else:
        out = [
            "Die Dokumentation nennt keine Installationsschritte, also klone zuerst das Repository."
        ]
    if f.install_steps > 1:
        out.append(f"Es sind {t.count(f.install_steps, 'step')} insgesamt.")
    return out


def usage(f: Facts, t: Language) -> list[str]:
    if f.usage_from_readme:
        return ["Hier ist ein Beispiel direkt aus der Dokumentation."]
    return ["Hier ist ein Anwendungsbeispiel aus dem Code selbst."]


def code(f: Facts, t: Language) -> list[str]:
    where = f", aus der Datei {f.code_file}" if f.code_file else ""
    return [f"Und hier ist ein Stück Quellcode{where}."]


def activity(f: Facts, t: Language) -> list[str]:
    first, last = t.month_year(f.first), t.month_year(f.last)
    least = "mindestens " if f.truncated else ""
    if f.commits == 0:
        return ["Noch gibt es keine Änderungshistorie."]
    if f.commits == 1:
        return [f"Die Historie ist eine einzige Änderung{f' aus dem {first}' if first else ''}."]
    who = ""
    if f.people == 1:
        who = " von einer einzigen Person"
    elif f.people > 1:
        who = f" von {least}{t.count(f.people, 'contributor')}"
    out = [f"Die Historie zählt {least}{t.count(f.commits, 'commit')}{who}."]
    if first and last and first != last:
        out.append(f"Die Arbeit begann im {first}, die letzte Änderung ist vom {last}.")
    if f.stars is not None:
        out.append(f"Es hat {t.count(f.stars, 'star')}.")
    return out


def outro(f: Facts, t: Language) -> list[str]:
    out = [
        "Probier es aus: Der Installationsbefehl steht im Bild."
        if f.tool
        else f"Um {f.name} auszuprobieren, klone das Repository und folge der Dokumentation."
    ]
    out.append(
        f"Es steht unter der {f.license} Lizenz."
        if f.license
        else "Es gibt keine Lizenz, also frag die Autoren, bevor du es weiterverwendest."
    )
    return out


def description(f: Facts, t: Language) -> str:
    return (
        f"Eine Tour in einer Minute durch {f.name}: Installation und Nutzung, "
        "wie der Code aufgebaut ist und wer daran arbeitet."
    )


LANGUAGE = Language(
    code="de",
    name="Deutsch",
    english_name="German",
    espeak_voice="de",
    and_word="und",
    months=(
        "Januar",
        "Februar",
        "März",
        "April",
        "Mai",
        "Juni",
        "Juli",
        "August",
        "September",
        "Oktober",
        "November",
        "Dezember",
    ),  # fmt: skip
    month_pattern="{month} {year}",
    about="etwa",
    thousand="tausend",
    million_one="Million",
    million_many="Millionen",
    decimal=",",
    percent="Prozent",
    nouns=NOUNS,
    title_pattern="{name} in 60 Sekunden",
    headings={
        "hook": "Vorstellung",
        "problem": "Das Problem",
        "what": "Was es ist",
        "picture": "Ein Blick",
        "architecture": "Wie es funktioniert",
        "dependencies": "Worauf es baut",
        "languages": "Sprachen",
        "install": "Installation",
        "usage": "Anwendung",
        "code": "Der Code",
        "activity": "Aktivität",
        "outro": "Probier es aus",
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
    espeak_wpm=145,
)
