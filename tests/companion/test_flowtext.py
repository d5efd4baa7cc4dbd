"""Inkscape flowed text becomes SVG 1.1 text browsers draw; lettering SVGs get their artwork or a white page.

Synthetic SVGs pin the layout rules; the real Pepper&Carrot lettering (../shared/peppercarrot, CC BY 4.0, David
Revoy; read in place, not copied) checks that every flowed object of episodes 1-3 survives with its words, inside
its own box, with its own transform.
"""

from __future__ import annotations

import base64
import io
import itertools
import os
import re
from pathlib import Path

import pytest
from lxml import etree
from PIL import Image
from tests.services import require

from scriptorium.companion.ingest.artwork import ARTWORK_MAX_WIDTH
from scriptorium.companion.ingest.flowtext import SPACE_ADVANCE, advance, convert_flowed_text
from scriptorium.companion.ingest.images import ImageProblem, process_image
from scriptorium.companion.ingest.official import extract_svg_blocks

REAL = Path(os.environ.get("PEPPERCARROT_SAMPLE_DIR", Path(__file__).resolve().parents[3] / "shared" / "peppercarrot"))
NS = {"s": "http://www.w3.org/2000/svg", "x": "http://www.w3.org/1999/xlink"}
XLINK = "{http://www.w3.org/1999/xlink}href"
HEAD = (
    '<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" '
    'xmlns:inkscape="http://www.inkscape.org/namespaces/inkscape" width="1000" height="1400">'
)
LOREM = "the quick brown fox jumps over the lazy dog while seven wizards quietly brew a potion of flight"


def flow(body: str, *, style: str = "font-size:40px;line-height:125%", transform: str = "", rect: str = "") -> str:
    rect = rect or 'x="100" y="200" width="400" height="600"'
    extra = f' transform="{transform}"' if transform else ""
    return (
        f'<flowRoot id="f1" xml:space="preserve" style="{style}"{extra}>'
        f"<flowRegion><rect {rect}/></flowRegion>{body}</flowRoot>"
    )


def convert(svg: str) -> etree._Element:
    root = etree.fromstring(svg.encode())
    convert_flowed_text(root)
    return root


def lines_of(root: etree._Element) -> list[etree._Element]:
    return list(root.iterfind(".//s:text/s:tspan", NS))


def estimated_width(text: str, size: float) -> float:
    return sum(advance(c) * size for c in text)


def test_words_wrap_inside_the_region_one_tspan_per_line() -> None:
    root = convert(HEAD + flow(f"<flowPara>{LOREM}</flowPara>") + "</svg>")
    lines = lines_of(root)
    texts = ["".join(line.itertext()) for line in lines]
    assert len(lines) > 2 and " ".join(texts) == LOREM  # every word kept, in order
    for text in texts:
        assert estimated_width(text, 40) <= 400, text
    # Greedy: the first word of each next line would not have fitted on the line before it.
    for text, following in itertools.pairwise(texts):
        assert estimated_width(text, 40) + SPACE_ADVANCE * 40 + estimated_width(following.split()[0], 40) > 400
    ys = [float(line.get("y", "")) for line in lines]
    assert all(abs((b - a) - 50) < 1e-6 for a, b in itertools.pairwise(ys))  # 125 % of 40px
    assert 200 < ys[0] < 200 + 50 and {line.get("x") for line in lines} == {"100"}
    assert root.find(".//s:flowRoot", NS) is None and root.find(".//s:text", NS).get("id") == "f1"


@pytest.mark.parametrize(
    ("declaration", "x", "anchor"),
    [
        ("text-align:center", "300", "middle"),
        ("text-align:end", "500", "end"),
        ("text-align:right", "500", "end"),
        ("text-align:justify", "100", "start"),
        ("text-anchor:middle", "300", "middle"),
        ("direction:rtl", "500", "start"),  # right-to-left: a line starts at the right edge
        ("direction:rtl;text-align:left", "100", "end"),  # ... and a physical left is that text's end
    ],
)
def test_alignment_places_lines_on_the_region_edge_or_centre(declaration: str, x: str, anchor: str) -> None:
    body = f'<flowPara style="{declaration}">{LOREM}</flowPara>'
    lines = lines_of(convert(HEAD + flow(body) + "</svg>"))
    assert {(line.get("x"), line.get("text-anchor")) for line in lines} == {(x, anchor)}
    assert all("text-align" not in (line.get("style") or "") for line in lines)


def test_transforms_of_root_region_and_rect_are_kept_in_order() -> None:
    body = "<flowPara>PLOP</flowPara>"
    svg = (
        HEAD
        + flow(body, transform="matrix(2,0,0,3,10,20)")
        .replace("<flowRegion>", '<flowRegion transform="translate(5,6)">')
        .replace("<rect ", '<rect transform="rotate(10)" ')
        + "</svg>"
    )
    text = convert(svg).find(".//s:text", NS)
    assert text is not None
    assert text.get("transform") == "matrix(2,0,0,3,10,20) translate(5,6) rotate(10)"
    line = text.findall("s:tspan", NS)[0]
    assert (line.get("x"), 200 < float(line.get("y", "0")) < 250) == ("100", True)  # rect-local coordinates


def test_empty_paragraphs_keep_their_line_and_empty_flows_disappear() -> None:
    body = "<flowPara>Hello</flowPara><flowPara/><flowPara>  </flowPara><flowPara>again</flowPara>"
    root = convert(HEAD + flow(body) + flow("<flowPara/>").replace('id="f1"', 'id="f2"') + "</svg>")
    lines = lines_of(root)
    assert ["".join(line.itertext()) for line in lines] == ["Hello", "again"]
    assert float(lines[1].get("y", "")) - float(lines[0].get("y", "")) == pytest.approx(3 * 50)
    assert [t.get("id") for t in root.iterfind(".//s:text", NS)] == ["f1"]


def test_spans_inside_a_word_stay_one_word_with_their_sizes() -> None:
    body = (
        '<flowPara style="fill:#d9a73d">'
        '<flowSpan style="font-size:8px">S</flowSpan><flowSpan style="font-size:10px">PL</flowSpan>A'
        '<flowSpan style="font-size:18px">SH</flowSpan> done</flowPara>'
    )
    line = lines_of(convert(HEAD + flow(body, style="font-size:12px") + "</svg>"))
    assert ["".join(t.itertext()) for t in line] == ["SPLASH done"]
    spans = [(s.text, s.get("style")) for s in line[0]]
    assert spans == [("S", "font-size:8px"), ("PL", "font-size:10px"), ("SH", "font-size:18px")]
    assert line[0][1].tail == "A"


def test_flow_div_paragraphs_and_font_fallback() -> None:
    body = (
        '<flowDiv style="font-size:20px"><flowPara style="font-family:Lavi">one</flowPara>'
        "<flowPara>two</flowPara></flowDiv>"
    )
    root = convert(HEAD + flow(body, style="font-family:'Komika Text';line-height:1.5") + "</svg>")
    lines = lines_of(root)
    assert ["".join(t.itertext()) for t in lines] == ["one", "two"]
    assert float(lines[1].get("y", "")) - float(lines[0].get("y", "")) == pytest.approx(30)
    assert "font-family:Lavi,sans-serif" in (lines[0].get("style") or "")
    text = root.find(".//s:text", NS)
    assert text is not None and "font-family:'Komika Text',sans-serif" in (text.get("style") or "")


def test_a_region_drawn_as_a_path_wraps_to_its_bounds() -> None:
    svg = HEAD + flow(f"<flowPara>{LOREM}</flowPara>").replace(
        '<rect x="100" y="200" width="400" height="600"/>', '<path d="M 300,100 h 250 v 400 l -250,0 z"/>'
    )
    lines = lines_of(convert(svg + "</svg>"))
    assert {line.get("x") for line in lines} == {"300"}
    assert all(estimated_width("".join(t.itertext()), 40) <= 250 for t in lines)


def test_plain_text_is_untouched_and_the_scrub_still_runs(tmp_path: Path) -> None:
    plain = '<text id="keep" x="5" y="9" style="font-size:30px"><tspan>As it was</tspan></text>'
    hostile = (
        "<script>alert(1)</script><foreignObject><p>x</p></foreignObject>"
        '<image id="evil" xlink:href="http://example.invalid/track.png" width="10" height="10"/>'
    )
    body = '<flowPara onclick="alert(2)" style="fill:url(http://example.invalid/x)">Hello</flowPara>'
    path = tmp_path / "page.svg"
    path.write_text(HEAD + plain + hostile + flow(body).replace("<flowRoot", '<flowRoot onload="x()"') + "</svg>")
    out = process_image(path)
    root = etree.fromstring(out.data)
    original = etree.fromstring((HEAD + plain + "</svg>").encode())[0]
    assert etree.tostring(root.find(".//s:text[@id='keep']", NS)) == etree.tostring(original)
    serialized = out.data.decode()
    for banned in ("<script", "foreignObject", "onload", "onclick", "example.invalid", "alert"):
        assert banned not in serialized, banned
    assert ["".join(t.itertext()) for t in lines_of(root)] == ["As it was", "Hello"]


def test_lettering_without_artwork_sits_on_a_white_page(tmp_path: Path) -> None:
    path = tmp_path / "E01P01.svg"
    path.write_text(HEAD + "<metadata/>" + flow("<flowPara>Hi</flowPara>") + "</svg>")
    out = process_image(path)
    root = etree.fromstring(out.data)
    drawn = [c for c in root if etree.QName(c).localname not in {"metadata", "defs", "namedview"}]
    first = drawn[0]
    assert etree.QName(first).localname == "rect" and first.get("fill") == "#ffffff"
    assert (first.get("width"), first.get("height")) == ("1000", "1400")
    assert out.thumb is None  # the SVG is its own thumbnail


def _art(path: Path, size: tuple[int, int], colour: tuple[int, int, int], fmt: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGB", size, colour).save(path, fmt)


def _embedded(data: bytes) -> tuple[etree._Element, Image.Image]:
    root = etree.fromstring(data)
    images = [i for i in root.iterfind(".//s:image", NS) if (i.get(XLINK) or "").startswith("data:")]
    assert len(images) == 1
    href = images[0].get(XLINK) or ""
    assert href.startswith("data:image/jpeg;base64,")
    return images[0], Image.open(io.BytesIO(base64.b64decode(href.split(",", 1)[1])))


def test_the_linked_gfx_file_one_folder_up_is_embedded(tmp_path: Path) -> None:
    name = "Pepper-and-Carrot_by-David-Revoy_E01P01"
    _art(tmp_path / "repo" / f"gfx_{name}.png", (200, 280), (200, 30, 40), "PNG")
    svg = tmp_path / "repo" / "en" / f"{name}.svg"
    svg.parent.mkdir(parents=True)
    image = f'<g inkscape:label="artwork"><image xlink:href="../gfx_{name}.png" width="1000" height="1400"/></g>'
    svg.write_text(HEAD + image + flow("<flowPara>Hello</flowPara>") + "</svg>")
    out = process_image(svg)
    element, art = _embedded(out.data)
    assert (element.get("width"), element.get("height")) == ("1000", "1400")  # the SVG's own placement
    pixel = art.convert("RGB").getpixel((100, 140))
    assert isinstance(pixel, tuple) and pixel[0] > 150 and pixel[1] < 80
    assert out.thumb is not None and out.thumb_content_type in {"image/webp", "image/jpeg"}
    root = etree.fromstring(out.data)
    order = [etree.QName(e).localname for e in root.iter() if etree.QName(e).localname in {"rect", "image", "text"}]
    assert order[:3] == ["rect", "image", "text"]  # white page, then art, then lettering on top


def test_an_official_gfx_only_render_is_embedded_when_the_svg_links_nothing(tmp_path: Path) -> None:
    episode = tmp_path / "ep01_Potion-of-Flight"
    _art(
        episode / "hi-res/gfx-only/gfx_Pepper-and-Carrot_by-David-Revoy_E01P01.jpg", (2400, 3360), (20, 40, 200), "JPEG"
    )
    svg = episode / "lang/en/E01P01.svg"
    svg.parent.mkdir(parents=True)
    svg.write_text(HEAD + flow("<flowPara>Hello</flowPara>") + "</svg>")
    element, art = _embedded(process_image(svg).data)
    assert (element.get("width"), element.get("height"), element.get("x")) == ("1000", "1400", "0")
    pixel = art.convert("RGB").getpixel((10, 10))
    assert art.width <= ARTWORK_MAX_WIDTH and isinstance(pixel, tuple) and pixel[2] > 150


def test_links_leaving_the_episode_are_not_followed(tmp_path: Path) -> None:
    _art(tmp_path / "secret.png", (20, 20), (0, 0, 0), "PNG")
    svg = tmp_path / "a" / "b" / "c" / "page.svg"
    svg.parent.mkdir(parents=True)
    svg.write_text(HEAD + '<image xlink:href="../../../secret.png" width="9" height="9"/>' + "</svg>")
    data = process_image(svg).data
    assert b"data:image/jpeg" not in data and b"secret" not in data


def test_unreadable_artwork_is_reported_with_its_name(tmp_path: Path) -> None:
    (tmp_path / "gfx_Pepper-and-Carrot_by-David-Revoy_E01P02.png").write_bytes(b"not a png")
    svg = tmp_path / "en" / "Pepper-and-Carrot_by-David-Revoy_E01P02.svg"
    svg.parent.mkdir()
    svg.write_text(HEAD + flow("<flowPara>Hi</flowPara>") + "</svg>")
    with pytest.raises(ImageProblem, match=re.escape("gfx_Pepper-and-Carrot_by-David-Revoy_E01P02.png")):
        process_image(svg)


def _real_svgs() -> list[Path]:
    require(REAL.is_dir(), "real Pepper&Carrot text in ../shared/peppercarrot", "set PEPPERCARROT_SAMPLE_DIR")
    return sorted(REAL.glob("*/en/*.svg"))


def _transform(value: str) -> tuple[float, ...]:
    """The 2x3 matrix of a transform list (matrix/translate/scale only: what the real files use)."""
    a, b, c, d, e, f = 1.0, 0.0, 0.0, 1.0, 0.0, 0.0
    for name, args in re.findall(r"(\w+)\(([^)]*)\)", value):
        n = [float(v) for v in re.split(r"[\s,]+", args.strip()) if v]
        m = {"matrix": n, "translate": [1, 0, 0, 1, n[0], n[1] if len(n) > 1 else 0]}.get(name)
        if name == "scale":
            m = [n[0], 0, 0, n[-1], 0, 0]
        assert m is not None, name
        a, b, c, d, e, f = (
            a * m[0] + c * m[1], b * m[0] + d * m[1], a * m[2] + c * m[3], b * m[2] + d * m[3],
            a * m[4] + c * m[5] + e, b * m[4] + d * m[5] + f,
        )  # fmt: skip
    return a, b, c, d, e, f


def test_every_real_flowed_object_keeps_its_words_box_and_transform() -> None:
    """Episodes 1-3 (24 SVGs, 116 flowRoots, 110 with text): words as extracted, lines start inside their box."""
    svgs = _real_svgs()
    assert len(svgs) == 24
    checked = 0
    for path in svgs:
        source = etree.parse(str(path)).getroot()
        flows = {f.get("id"): f for f in source.iterfind(".//s:flowRoot", NS)}
        data = process_image(path).data
        assert b"<svg:" not in data  # unprefixed, so the page can also be inlined in HTML
        out = etree.fromstring(data)
        assert not [e for e in out.iter() if isinstance(e.tag, str) and etree.QName(e).localname.startswith("flow")]
        texts = {t.get("id"): t for t in out.iterfind(".//s:text", NS)}
        blocks = extract_svg_blocks(path)
        assert [b.id for b in blocks] == list(texts)  # same objects, same document order, empty ones gone
        for block in blocks:
            text, original = texts[block.id], flows[block.id]
            drawn = " ".join("".join(line.itertext()) for line in text.iterfind("s:tspan", NS))
            assert " ".join(drawn.split()) == " ".join(block.text.split()), (path.name, block.id)
            rect = original.find("s:flowRegion/s:rect", NS)
            assert rect is not None
            assert _transform(text.get("transform", "")) == _transform(original.get("transform", ""))
            x0, width = float(rect.get("x", "0")), float(rect.get("width", "0"))
            for line in text.iterfind("s:tspan", NS):
                assert x0 - 0.01 <= float(line.get("x", "")) <= x0 + width + 0.01  # 2-decimal output
                assert float(line.get("y", "")) > float(rect.get("y", "0"))
            checked += 1
    assert checked == 13 + 52 + 45  # every text block of episodes 1-3 (derived-en-page-text.json)
