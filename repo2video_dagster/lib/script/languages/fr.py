"""French: « a, b et c », « environ 14 mille lignes », « mars 2024 »."""

from __future__ import annotations

from repo2video_dagster.lib.script.languages.base import Language, Noun
from repo2video_dagster.lib.script.languages.facts import Facts

NOUNS = {
    "file": Noun("un fichier", "fichiers"),
    "line": Noun("une ligne", "lignes"),
    "commit": Noun("une modification", "modifications"),
    "contributor": Noun("une personne", "personnes"),
    "star": Noun("une étoile", "étoiles"),
    "fork": Noun("un fork", "forks"),
    "package": Noun("un paquet", "paquets"),
    "part": Noun("une partie", "parties"),
    "step": Noun("une étape", "étapes"),
}


def hook(f: Facts, t: Language) -> list[str]:
    kind = f"un projet en {f.primary}" if f.primary else "un petit dépôt"
    return [f"Voici {f.name}, {kind}.", "Faisons le tour en une minute."]


def problem(f: Facts, t: Language) -> list[str]:
    return [
        "Pourquoi existe-t-il ?",
        "La documentation décrit le problème, et vous le voyez à l'écran.",
    ]


def what(f: Facts, t: Language) -> list[str]:
    out = ["Voici ce qu'il propose, d'après sa documentation."] if f.has_features else []
    size = t.count(f.files, "file")
    if f.lines:
        size += f" et {t.count(f.lines, 'line')} de code"
    if f.primary:
        how = "entièrement" if f.entirely else "surtout"
        out.append(f"Il est écrit {how} en {f.primary}, avec {size}.")
    else:
        out.append(f"Le dépôt contient {size}.")
    return out


def picture(f: Facts, t: Language) -> list[str]:
    if f.logo:
        return ["Voici son logo, tiré du dépôt."]
    return ["Voici à quoi il ressemble, directement depuis le dépôt."]


def architecture(f: Facts, t: Language) -> list[str]:
    out: list[str] = []
    if len(f.parts) >= 2:
        lead = "À l'intérieur, le code se divise en" if f.graph else "Les pièces principales sont"
        out.append(f"{lead} {t.spoken_list(f.parts)}.")
    elif f.parts:
        out.append(f"Le cœur du projet, c'est {f.parts[0]}.")
    if f.hub:
        out.append(f"{f.hub[0]} est au centre : {t.count(f.hub[1], 'part')} l'importent.")
    extras = ["des tests"] * f.has_tests + ["de la documentation"] * f.has_docs
    if extras:
        out.append(f"Il fournit aussi {t.spoken_list(extras)}.")
    return out or ["Il n'y a guère d'arborescence à montrer."]


def dependencies(f: Facts, t: Language) -> list[str]:
    if f.deps_total > len(f.deps):
        return [f"Il dépend de {t.count(f.deps_total, 'package')}, dont {t.spoken_list(f.deps)}."]
    return [f"Il s'appuie sur {t.spoken_list(f.deps)}."]


def languages(f: Facts, t: Language) -> list[str]:
    (lead, share), rest = f.shares[0], f.shares[1:]
    if not rest or share >= 0.995:
        return [f"Tout est en {lead}."]
    others = [f"{name} pour {t.pct(s)}" for name, s in rest]
    return [
        f"{lead} représente {t.pct(share)} du code.",
        f"Le reste, c'est {t.spoken_list(others)}.",
    ]


def install(f: Facts, t: Language) -> list[str]:
    if f.tool:
        out = [f"Il s'installe avec {f.tool} ; la commande est à l'écran."]
    elif f.install_steps:
        out = ["La documentation détaille l'installation, vous la voyez à l'écran."]
    else:
        out = [
            "La documentation ne donne pas d'étapes d'installation : commencez par cloner le dépôt."
        ]
    if f.install_steps > 1:
        out.append(f"Il y a {t.count(f.install_steps, 'step')} en tout.")
    return out


def usage(f: Facts, t: Language) -> list[str]:
    if f.usage_from_readme:
        return ["Voici un exemple tiré de la documentation."]
    return ["Voici un exemple d'utilisation, tiré du code lui-même."]


def code(f: Facts, t: Language) -> list[str]:
    where = f", du fichier {f.code_file}" if f.code_file else ""
    return [f"Et voici un extrait du code source{where}."]


def activity(f: Facts, t: Language) -> list[str]:
    first, last = t.month_year(f.first), t.month_year(f.last)
    least = "au moins " if f.truncated else ""
    if f.commits == 0:
        return ["Il n'y a pas encore d'historique de modifications."]
    if f.commits == 1:
        return [f"L'historique tient en une seule modification{f', de {first}' if first else ''}."]
    who = ""
    if f.people == 1:
        who = " d'une seule personne"
    elif f.people > 1:
        who = f" de {least}{t.count(f.people, 'contributor')}"
    out = [f"L'historique compte {least}{t.count(f.commits, 'commit')}{who}."]
    if first and last and first != last:
        out.append(f"Le travail a commencé en {first}, et la dernière modification date de {last}.")
    if f.stars is not None:
        out.append(f"Il a {t.count(f.stars, 'star')}.")
    return out


def outro(f: Facts, t: Language) -> list[str]:
    out = [
        "Essayez-le : la commande d'installation est à l'écran."
        if f.tool
        else f"Pour essayer {f.name}, clonez le dépôt et suivez sa documentation."
    ]
    out.append(
        f"Il est publié sous la licence {f.license}."
        if f.license
        else "Il n'a pas de licence : demandez aux auteurs avant de le réutiliser."
    )
    return out


def description(f: Facts, t: Language) -> str:
    return (
        f"Une minute pour découvrir {f.name} : comment l'installer et l'utiliser, "
        "comment le code est organisé et qui y travaille."
    )


LANGUAGE = Language(
    code="fr",
    name="Français",
    english_name="French",
    espeak_voice="fr+klatt3",
    and_word="et",
    months=(
        "janvier",
        "février",
        "mars",
        "avril",
        "mai",
        "juin",
        "juillet",
        "août",
        "septembre",
        "octobre",
        "novembre",
        "décembre",
    ),  # fmt: skip
    month_pattern="{month} {year}",
    about="environ",
    thousand="mille",
    million_one="million",
    million_many="millions",
    decimal=",",
    percent="pour cent",
    nouns=NOUNS,
    title_pattern="{name} en 60 secondes",
    headings={
        "hook": "Présentation",
        "problem": "Le problème",
        "what": "Ce que c'est",
        "picture": "Un aperçu",
        "architecture": "Comment ça marche",
        "dependencies": "Ses fondations",
        "languages": "Langages",
        "install": "Installation",
        "usage": "Utilisation",
        "code": "Le code",
        "activity": "Activité",
        "outro": "À vous",
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
    espeak_wpm=150,
)
