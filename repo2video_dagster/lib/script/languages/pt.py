"""Portuguese (Brazil): «a, b e c», «cerca de 14 mil linhas», «março de 2024»."""

from __future__ import annotations

from repo2video_dagster.lib.script.languages.base import Language, Noun
from repo2video_dagster.lib.script.languages.facts import Facts

NOUNS = {
    "file": Noun("um arquivo", "arquivos"),
    "line": Noun("uma linha", "linhas"),
    "commit": Noun("uma alteração", "alterações"),
    "contributor": Noun("uma pessoa", "pessoas"),
    "star": Noun("uma estrela", "estrelas"),
    "fork": Noun("um fork", "forks"),
    "package": Noun("um pacote", "pacotes"),
    "part": Noun("uma parte", "partes"),
    "step": Noun("um passo", "passos"),
}


def hook(f: Facts, t: Language) -> list[str]:
    kind = f"um projeto em {f.primary}" if f.primary else "um repositório pequeno"
    return [f"Conheça {f.name}, {kind}.", "Aqui está o tour em um minuto."]


def problem(f: Facts, t: Language) -> list[str]:
    return [
        "Por que ele existe?",
        "A documentação explica o problema que ele resolve, e você vê na tela.",
    ]


def what(f: Facts, t: Language) -> list[str]:
    out = ["Isto é o que ele oferece, segundo a documentação."] if f.has_features else []
    size = t.count(f.files, "file")
    if f.lines:
        size += f" e {t.count(f.lines, 'line')} de código"
    if f.primary:
        how = "todo" if f.entirely else "principalmente"
        out.append(f"Ele é escrito {how} em {f.primary}, com {size}.")
    else:
        out.append(f"O repositório tem {size}.")
    return out


def picture(f: Facts, t: Language) -> list[str]:
    if f.logo:
        return ["Este é o logotipo, tirado do repositório."]
    return ["É assim que ele aparece, direto do repositório."]


def architecture(f: Facts, t: Language) -> list[str]:
    out: list[str] = []
    if len(f.parts) >= 2:
        lead = "Por dentro, o código se divide em" if f.graph else "As peças principais são"
        out.append(f"{lead} {t.spoken_list(f.parts)}.")
    elif f.parts:
        out.append(f"O coração do projeto é {f.parts[0]}.")
    if f.hub:
        out.append(f"{f.hub[0]} fica no centro: {t.count(f.hub[1], 'part')} o importam.")
    extras = ["testes"] * f.has_tests + ["documentação"] * f.has_docs
    if extras:
        out.append(f"Também traz {t.spoken_list(extras)}.")
    return out or ["Não há muita árvore de código para mostrar."]


def dependencies(f: Facts, t: Language) -> list[str]:
    if f.deps_total > len(f.deps):
        return [
            f"Ele depende de {t.count(f.deps_total, 'package')}, entre eles {t.spoken_list(f.deps)}."
        ]
    return [f"Ele se apoia em {t.spoken_list(f.deps)}."]


def languages(f: Facts, t: Language) -> list[str]:
    (lead, share), rest = f.shares[0], f.shares[1:]
    if not rest or share >= 0.995:
        return [f"É tudo {lead}."]
    others = [f"{name} com {t.pct(s)}" for name, s in rest]
    return [f"{lead} é {t.pct(share)} do código.", f"O resto é {t.spoken_list(others)}."]


def install(f: Facts, t: Language) -> list[str]:
    if f.tool:
        out = [f"Ele é instalado com {f.tool}; o comando está na tela."]
    elif f.install_steps:
        out = ["A documentação detalha a instalação, e você vê na tela."]
    else:
        out = ["A documentação não traz passos de instalação, então comece clonando o repositório."]
    if f.install_steps > 1:
        out.append(f"São {t.count(f.install_steps, 'step')} no total.")
    return out


def usage(f: Facts, t: Language) -> list[str]:
    if f.usage_from_readme:
        return ["Aqui está um exemplo tirado da documentação."]
    return ["Aqui está um exemplo de uso, tirado do próprio código."]


def code(f: Facts, t: Language) -> list[str]:
    where = f", do arquivo {f.code_file}" if f.code_file else ""
    return [f"E este é um trecho do código fonte{where}."]


def activity(f: Facts, t: Language) -> list[str]:
    first, last = t.month_year(f.first), t.month_year(f.last)
    least = "pelo menos " if f.truncated else ""
    if f.commits == 0:
        return ["Ainda não há histórico de alterações."]
    if f.commits == 1:
        return [f"O histórico é uma única alteração{f', de {first}' if first else ''}."]
    who = ""
    if f.people == 1:
        who = " de uma única pessoa"
    elif f.people > 1:
        who = f" de {least}{t.count(f.people, 'contributor')}"
    out = [f"O histórico soma {least}{t.count(f.commits, 'commit')}{who}."]
    if first and last and first != last:
        out.append(f"O trabalho começou em {first}, e a última alteração é de {last}.")
    if f.stars is not None:
        out.append(f"Ele tem {t.count(f.stars, 'star')}.")
    return out


def outro(f: Facts, t: Language) -> list[str]:
    out = [
        "Experimente: o comando de instalação está na tela."
        if f.tool
        else f"Para experimentar {f.name}, clone o repositório e siga a documentação."
    ]
    out.append(
        f"Ele é distribuído sob a licença {f.license}."
        if f.license
        else "Não há licença, então fale com os autores antes de reutilizar."
    )
    return out


def description(f: Facts, t: Language) -> str:
    return (
        f"Um tour de um minuto por {f.name}: como instalar e usar, "
        "como o código é organizado e quem trabalha nele."
    )


LANGUAGE = Language(
    code="pt",
    name="Português",
    english_name="Portuguese",
    espeak_voice="pt-br+klatt3",
    and_word="e",
    months=(
        "janeiro",
        "fevereiro",
        "março",
        "abril",
        "maio",
        "junho",
        "julho",
        "agosto",
        "setembro",
        "outubro",
        "novembro",
        "dezembro",
    ),  # fmt: skip
    month_pattern="{month} de {year}",
    about="cerca de",
    thousand="mil",
    million_one="milhão",
    million_many="milhões",
    decimal=",",
    percent="por cento",
    nouns=NOUNS,
    title_pattern="{name} em 60 segundos",
    headings={
        "hook": "Apresentação",
        "problem": "O problema",
        "what": "O que é",
        "picture": "Uma olhada",
        "architecture": "Como funciona",
        "dependencies": "Em que se apoia",
        "languages": "Linguagens",
        "install": "Instalação",
        "usage": "Como usar",
        "code": "O código",
        "activity": "Atividade",
        "outro": "Experimente",
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
