"""Fill unfinished translations in a Qt .ts file from a JSON map {source: translation}.

Used after ``scripts/update_translations.sh`` brings new strings in as
"unfinished": ``python scripts/fill_translations.py zh_CN new.json`` writes the
translations and marks them finished; run update_translations.sh again to
compile the .qm. Sources missing from the map stay unfinished (the
translation test lists them).
"""

from __future__ import annotations

import json
import sys
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def fill(ts_path: Path, translations: dict[str, str | list[str]]) -> int:
    tree = ET.parse(ts_path)
    filled = 0
    for message in tree.getroot().iter("message"):
        source = message.findtext("source")
        translation = message.find("translation")
        if source is None or translation is None or translation.get("type") != "unfinished":
            continue
        if source in translations:
            forms = translation.findall("numerusform")
            if message.get("numerus") == "yes":
                # Chinese has one plural form: a string fills them all. English has
                # two (one, other): a list gives each form its own text, in order.
                value = translations[source]
                texts = value if isinstance(value, list) else [value]
                while len(forms) < len(texts):
                    forms.append(ET.SubElement(translation, "numerusform"))
                for i, form in enumerate(forms):
                    form.text = texts[min(i, len(texts) - 1)]
            else:
                translation.text = translations[source]
            del translation.attrib["type"]
            filled += 1
    ET.indent(tree, space="    ")
    with ts_path.open("wb") as out:
        out.write(b'<?xml version="1.0" encoding="utf-8"?>\n<!DOCTYPE TS>\n')
        tree.write(out, encoding="utf-8", xml_declaration=False)
        out.write(b"\n")
    return filled


def main(argv: list[str]) -> int:
    if len(argv) != 3:
        print(__doc__)
        return 2
    ts_path = ROOT / "resources" / "translations" / f"hearth_{argv[1]}.ts"
    translations = json.loads(Path(argv[2]).read_text(encoding="utf-8"))
    print(f"{ts_path.name}: {fill(ts_path, translations)} filled")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
