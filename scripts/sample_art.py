# ruff: noqa: E501
"""Drawing helpers for the sample comic: panels, scenes, characters and balloons as plain SVG.

Everything is simple shapes (no fonts embedded, no external references) so a page is a few kilobytes and renders
the same in every browser. Randomness (stars, waves) comes from a tiny seeded generator so output is stable.
"""

from __future__ import annotations

import textwrap
from xml.sax.saxutils import escape

W, H = 800, 1130
MARGIN, GUTTER, TITLE_H = 28, 14, 64
FONT = "'Comic Neue','Comic Sans MS','Trebuchet MS',sans-serif"
GRADIENTS = {
    "dusk": ("#f6b26b", "#8e6bb8"),
    "night": ("#0f1a3c", "#2c3e73"),
    "morning": ("#dfe9f3", "#f7f3e3"),
    "dawn": ("#f9d7b5", "#9cc3d5"),
    "storm": ("#39465a", "#6b7b8c"),
    "interior": ("#6d4c33", "#a0754f"),
    "deep": ("#0b3a4a", "#03141c"),
    "glow": ("#fff4c2", "#f0b54a"),
}
COLORS = {
    "wren": {"coat": "#3f6fb5", "hair": "#5a3620", "skin": "#f2c9a0", "extra": "#d9443a"},
    "osric": {"coat": "#8a8f98", "hair": "#f4f4f4", "skin": "#e8c4a0", "extra": "#f4f4f4"},
    "marlo": {"coat": "#e8b64c", "hair": "#2e2a24", "skin": "#c98f5e", "extra": "#3d8b4f"},
    "agathe": {"coat": "#24345c", "hair": "#7a4b2a", "skin": "#efc8a8", "extra": "#1b1b1b"},
}


class Rand:
    """A small linear congruential generator: deterministic scenery without the random module's global state."""

    def __init__(self, seed: int) -> None:
        self.state = seed * 2654435761 % 2**32 or 1

    def next(self) -> float:
        self.state = (1103515245 * self.state + 12345) % 2**31
        return self.state / 2**31


def defs() -> str:
    parts = []
    for name, (top, bottom) in GRADIENTS.items():
        parts.append(
            f'<linearGradient id="g-{name}" x1="0" y1="0" x2="0" y2="1">'
            f'<stop offset="0" stop-color="{top}"/><stop offset="1" stop-color="{bottom}"/></linearGradient>'
        )
    parts.append(
        '<radialGradient id="g-halo"><stop offset="0" stop-color="#fff6c8" stop-opacity="0.95"/>'
        '<stop offset="1" stop-color="#ffd36b" stop-opacity="0"/></radialGradient>'
    )
    return "<defs>" + "".join(parts) + "</defs>"


def sky(x: float, y: float, w: float, h: float, name: str) -> str:
    return f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="url(#g-{name})"/>'


def halo(cx: float, cy: float, r: float) -> str:
    return f'<circle cx="{cx:.0f}" cy="{cy:.0f}" r="{r:.0f}" fill="url(#g-halo)"/>'


def houses(x: float, y: float, w: float, h: float, color: str, lit: bool, rand: Rand) -> str:
    out, cx = [], x - 10
    while cx < x + w:
        bw, bh = 70 + rand.next() * 50, h * (0.35 + rand.next() * 0.25)
        top = y + h - bh
        out.append(
            f'<path d="M{cx:.0f},{y + h:.0f} V{top:.0f} L{cx + bw / 2:.0f},{top - 34:.0f} L{cx + bw:.0f},{top:.0f} V{y + h:.0f}Z" fill="{color}"/>'
        )
        window = "#ffd978" if lit else "#3b3f52"
        out.append(f'<rect x="{cx + bw * 0.3:.0f}" y="{top + 18:.0f}" width="16" height="20" fill="{window}"/>')
        cx += bw + 6
    return "".join(out)


def lamp_post(x: float, base: float, h: float, lit: bool) -> str:
    glass = "#ffe27a" if lit else "#b9c3cc"
    glow = halo(x, base - h, 46) if lit else ""
    return (
        f'{glow}<rect x="{x - 3:.0f}" y="{base - h:.0f}" width="6" height="{h:.0f}" fill="#2f2f36"/>'
        f'<rect x="{x - 13:.0f}" y="{base - h - 26:.0f}" width="26" height="28" rx="4" fill="{glass}" stroke="#2f2f36" stroke-width="3"/>'
    )


def sea(x: float, y: float, w: float, h: float, color: str, rand: Rand) -> str:
    out = [f'<rect x="{x}" y="{y:.0f}" width="{w}" height="{h:.0f}" fill="{color}"/>']
    for row in range(4):
        wy = y + 12 + row * h / 4
        d = f"M{x:.0f},{wy:.0f} " + " ".join(
            f"q15,{-8 - rand.next() * 4:.0f} 30,0 t30,0" for _ in range(int(w / 60) + 1)
        )
        out.append(f'<path d="{d}" fill="none" stroke="#ffffff" stroke-opacity="0.35" stroke-width="3"/>')
    return "".join(out)


def fog(x: float, y: float, w: float, h: float) -> str:
    return "".join(
        f'<ellipse cx="{x + w * f:.0f}" cy="{y + h * g:.0f}" rx="{w * 0.35:.0f}" ry="{h * 0.08:.0f}" fill="#ffffff" fill-opacity="0.28"/>'
        for f, g in ((0.2, 0.7), (0.7, 0.8), (0.5, 0.9))
    )


def stars(x: float, y: float, w: float, h: float, rand: Rand) -> str:
    return "".join(
        f'<circle cx="{x + rand.next() * w:.0f}" cy="{y + rand.next() * h * 0.5:.0f}" r="{1 + rand.next() * 1.5:.1f}" fill="#fffbe6"/>'
        for _ in range(18)
    )


def lighthouse(x: float, base: float, h: float, lit: bool) -> str:
    beam = (
        f'<path d="M{x:.0f},{base - h:.0f} L{x - 260:.0f},{base - h - 70:.0f} L{x - 260:.0f},{base - h + 40:.0f}Z" fill="#fff2a8" fill-opacity="0.55"/>'
        if lit
        else ""
    )
    lamp = "#ffe066" if lit else "#4a4f5c"
    return (
        f'{beam}<path d="M{x - h * 0.12:.0f},{base:.0f} L{x - h * 0.07:.0f},{base - h:.0f} H{x + h * 0.07:.0f} L{x + h * 0.12:.0f},{base:.0f}Z" fill="#f1efe8" stroke="#2b2b2b" stroke-width="3"/>'
        f'<rect x="{x - h * 0.1:.0f}" y="{base - h * 0.55:.0f}" width="{h * 0.2:.0f}" height="{h * 0.1:.0f}" fill="#c0392b"/>'
        f'<rect x="{x - h * 0.08:.0f}" y="{base - h - h * 0.14:.0f}" width="{h * 0.16:.0f}" height="{h * 0.14:.0f}" fill="{lamp}" stroke="#2b2b2b" stroke-width="3"/>'
        f'<path d="M{x - h * 0.1:.0f},{base - h - h * 0.14:.0f} L{x:.0f},{base - h - h * 0.26:.0f} L{x + h * 0.1:.0f},{base - h - h * 0.14:.0f}Z" fill="#2b2b2b"/>'
    )


def shelves(x: float, y: float, w: float, h: float, rand: Rand) -> str:
    out = [f'<rect x="{x}" y="{y}" width="{w}" height="{h}" fill="#3a2a22"/>']
    for row in range(4):
        sy = y + 30 + row * (h / 4)
        out.append(f'<rect x="{x}" y="{sy + 34:.0f}" width="{w}" height="6" fill="#7b5a3c"/>')
        jx = x + 10
        while jx < x + w - 20:
            glow = ("#ffe27a", "#ffc25a", "#fff1b0")[int(rand.next() * 3)]
            out.append(f'<circle cx="{jx + 9:.0f}" cy="{sy + 20:.0f}" r="16" fill="{glow}" fill-opacity="0.35"/>')
            out.append(
                f'<rect x="{jx:.0f}" y="{sy + 6:.0f}" width="18" height="28" rx="5" fill="{glow}" stroke="#f8f3df" stroke-width="2"/>'
            )
            jx += 30 + rand.next() * 8
    return "".join(out)


def serpent(x: float, y: float, w: float, h: float) -> str:
    water = y + h * 0.62
    humps = "".join(
        f'<path d="M{x + w * a:.0f},{water:.0f} q{w * 0.08:.0f},{-h * 0.3:.0f} {w * 0.16:.0f},0" fill="#2f7d5b" stroke="#1b4d37" stroke-width="4"/>'
        for a in (0.08, 0.32)
    )
    head_x, head_y = x + w * 0.72, y + h * 0.3
    return (
        humps
        + f'<path d="M{x + w * 0.56:.0f},{water:.0f} C{x + w * 0.6:.0f},{head_y:.0f} {head_x - 40:.0f},{head_y - 30:.0f} {head_x:.0f},{head_y:.0f}" fill="none" stroke="#2f7d5b" stroke-width="{h * 0.12:.0f}" stroke-linecap="round"/>'
        f'<ellipse cx="{head_x + 14:.0f}" cy="{head_y:.0f}" rx="{h * 0.13:.0f}" ry="{h * 0.08:.0f}" fill="#2f7d5b" stroke="#1b4d37" stroke-width="4"/>'
        f'<circle cx="{head_x + 24:.0f}" cy="{head_y - 6:.0f}" r="6" fill="#f6e05e"/>'
    )


def moths(x: float, y: float, w: float, h: float, rand: Rand) -> str:
    out = []
    for _ in range(7):
        mx, my = x + w * (0.15 + rand.next() * 0.7), y + h * (0.2 + rand.next() * 0.5)
        out.append(halo(mx, my, 16))
        out.append(
            f'<ellipse cx="{mx - 6:.0f}" cy="{my:.0f}" rx="7" ry="4" fill="#e6ecf5"/><ellipse cx="{mx + 6:.0f}" cy="{my:.0f}" rx="7" ry="4" fill="#e6ecf5"/>'
        )
    return "".join(out)


def scene(name: str, x: float, y: float, w: float, h: float, seed: int) -> str:
    """Paint one of the story's backgrounds into the panel rectangle."""
    r = Rand(seed)
    ground = y + h * 0.82
    street = f'<rect x="{x}" y="{ground:.0f}" width="{w}" height="{y + h - ground:.0f}" fill="#6b6259"/>'
    if name in {"street_dusk", "street_morning"}:
        lit = name == "street_dusk"
        return (
            sky(x, y, w, h, "dusk" if lit else "morning")
            + houses(x, y, w, ground - y, "#4b3f5c" if lit else "#a99b8a", lit, r)
            + street
            + lamp_post(x + w * 0.82, ground, h * 0.5, lit)
            + (fog(x, y, w, h) if lit else "")
        )
    if name in {"guild_hall", "guild_window", "bedroom_night"}:
        window = sky(x + w * 0.62, y + h * 0.12, w * 0.28, h * 0.34, "night" if name == "bedroom_night" else "dusk")
        far = lighthouse(x + w * 0.76, y + h * 0.44, h * 0.2, False) if name == "guild_window" else ""
        lamps = "".join(halo(x + w * f, y + h * 0.25, 30) for f in (0.12, 0.4))
        return (
            sky(x, y, w, h, "interior")
            + lamps
            + window
            + far
            + f'<rect x="{x}" y="{ground:.0f}" width="{w}" height="{y + h - ground:.0f}" fill="#4a3324"/>'
        )
    if name == "market":
        stalls = "".join(
            f'<rect x="{x + w * f:.0f}" y="{y + h * 0.45:.0f}" width="{w * 0.24:.0f}" height="{h * 0.1:.0f}" fill="{c}"/><rect x="{x + w * f + 8:.0f}" y="{y + h * 0.55:.0f}" width="{w * 0.24 - 16:.0f}" height="{h * 0.27:.0f}" fill="#8a6a4a"/>'
            for f, c in ((0.04, "#d9534f"), (0.38, "#5bc0de"), (0.72, "#f0ad4e"))
        )
        return sky(x, y, w, h, "morning") + stalls + street
    if name == "frost_prints":
        prints = "".join(
            f'<ellipse cx="{x + w * (0.2 + i * 0.1):.0f}" cy="{ground + 14 + (i % 2) * 12:.0f}" rx="10" ry="6" fill="#dff4ff" stroke="#9fd3f0"/>'
            for i in range(7)
        )
        return (
            sky(x, y, w, h, "morning")
            + houses(x, y, w, ground - y, "#a99b8a", False, r)
            + street
            + prints
            + lamp_post(x + w * 0.12, ground, h * 0.5, False)
        )
    if name in {"rooftop_night", "moths_night"}:
        roof = f'<path d="M{x},{y + h} V{y + h * 0.8:.0f} L{x + w},{y + h * 0.7:.0f} V{y + h}Z" fill="#3b2f3f"/>'
        extra = moths(x, y, w, h, r) if name == "moths_night" else ""
        return (
            sky(x, y, w, h, "night")
            + stars(x, y, w, h, r)
            + houses(x, y + h * 0.3, w, h * 0.5, "#1c2238", False, r)
            + roof
            + extra
        )
    if name in {"pier_night", "tower_outside", "tower_top"}:
        tower = (
            f'<rect x="{x + w * 0.6:.0f}" y="{y + h * 0.15:.0f}" width="{w * 0.16:.0f}" height="{h * 0.7:.0f}" fill="#4d4a5e" stroke="#1d1b26" stroke-width="3"/>'
            f'<circle cx="{x + w * 0.68:.0f}" cy="{y + h * 0.27:.0f}" r="{min(w, h) * 0.06:.0f}" fill="#efe6c8" stroke="#1d1b26" stroke-width="3"/>'
        )
        pier = f'<rect x="{x}" y="{y + h * 0.84:.0f}" width="{w * 0.8:.0f}" height="12" fill="#5a4634"/>'
        return (
            sky(x, y, w, h, "night")
            + stars(x, y, w, h, r)
            + sea(x, y + h * 0.78, w, h * 0.22, "#1d3557", r)
            + tower
            + pier
            + fog(x, y, w, h)
        )
    if name == "tower_stairs":
        steps = "".join(
            f'<rect x="{x + i * w / 8:.0f}" y="{y + h - (i + 1) * h / 9:.0f}" width="{w / 8 + 1:.0f}" height="{(i + 1) * h / 9:.0f}" fill="#58506a" stroke="#2a2535"/>'
            for i in range(8)
        )
        return sky(x, y, w, h, "night") + steps
    if name in {"sea_dawn", "lighthouse_door"}:
        near = name == "lighthouse_door"
        boat = (
            ""
            if near
            else f'<path d="M{x + w * 0.2:.0f},{y + h * 0.78:.0f} h{w * 0.35:.0f} l-30,30 h{-w * 0.35 + 60:.0f}Z" fill="#8b5a2b"/>'
        )
        door = (
            f'<rect x="{x + w * 0.4:.0f}" y="{y + h * 0.35:.0f}" width="{w * 0.2:.0f}" height="{h * 0.5:.0f}" rx="40" fill="#6b3e26" stroke="#2b2b2b" stroke-width="4"/>'
            if near
            else ""
        )
        wall = (
            f'<rect x="{x + w * 0.25:.0f}" y="{y}" width="{w * 0.5:.0f}" height="{h}" fill="#ece6d6"/>'
            if near
            else lighthouse(x + w * 0.78, y + h * 0.75, h * 0.45, False)
        )
        return sky(x, y, w, h, "dawn") + sea(x, y + h * 0.7, w, h * 0.3, "#4a7c93", r) + wall + door + boat
    if name in {"jar_room"}:
        return shelves(x, y, w, h, r)
    if name in {"deep_sea"}:
        return sky(x, y, w, h, "deep") + serpent(x, y + h * 0.2, w, h * 0.8)
    if name in {"storm_sea"}:
        return (
            sky(x, y, w, h, "storm")
            + lighthouse(x + w * 0.15, y + h * 0.7, h * 0.45, False)
            + serpent(x, y, w, h)
            + sea(x, y + h * 0.62, w, h * 0.38, "#2c4a5e", r)
        )
    if name == "harbour_storm":
        bell = (
            f'<rect x="{x + w * 0.7 - 4:.0f}" y="{y + h * 0.2:.0f}" width="8" height="{h * 0.6:.0f}" fill="#4a3a2a"/>'
            f'<rect x="{x + w * 0.62:.0f}" y="{y + h * 0.2:.0f}" width="{w * 0.16:.0f}" height="8" fill="#4a3a2a"/>'
            f'<path d="M{x + w * 0.7:.0f},{y + h * 0.22:.0f} q30,0 30,40 h-60 q0,-40 30,-40Z" fill="#d4a017" stroke="#2b2b2b" stroke-width="3"/>'
        )
        return sky(x, y, w, h, "storm") + sea(x, y + h * 0.7, w, h * 0.3, "#2c4a5e", r) + bell
    if name == "lighthouse_stairs":
        return sky(x, y, w, h, "interior") + "".join(
            f'<rect x="{x + w * 0.1 + i * w / 9:.0f}" y="{y + h - (i + 1) * h / 10:.0f}" width="{w / 9:.0f}" height="10" fill="#c9b99a"/>'
            for i in range(8)
        )
    if name in {"lamp_room", "lamp_room_lit"}:
        lit = name == "lamp_room_lit"
        panes = "".join(
            f'<rect x="{x + w * f:.0f}" y="{y + h * 0.1:.0f}" width="{w * 0.18:.0f}" height="{h * 0.5:.0f}" fill="url(#g-{"dawn" if lit else "storm"})" stroke="#2b2b2b" stroke-width="3"/>'
            for f in (0.05, 0.41, 0.77)
        )
        lamp = f'<circle cx="{x + w * 0.5:.0f}" cy="{y + h * 0.45:.0f}" r="{h * 0.16:.0f}" fill="{"#ffe066" if lit else "#8d8a80"}" stroke="#2b2b2b" stroke-width="4"/>'
        return sky(x, y, w, h, "interior") + panes + (halo(x + w * 0.5, y + h * 0.45, h * 0.45) if lit else "") + lamp
    if name == "lighthouse_blaze":
        return (
            sky(x, y, w, h, "night")
            + stars(x, y, w, h, r)
            + sea(x, y + h * 0.72, w, h * 0.28, "#1d3557", r)
            + houses(x, y + h * 0.45, w * 0.55, h * 0.3, "#1c2238", True, r)
            + lighthouse(x + w * 0.8, y + h * 0.75, h * 0.5, True)
        )
    raise ValueError(f"unknown scene {name!r}")


def person(slug: str, cx: float, base: float, size: float) -> str:
    """A simple, friendly figure: coat, head, hair and one signature feature per character."""
    c = COLORS[slug]
    head_r, body_h = size * 0.14, size * 0.58
    top = base - body_h
    hy = top - head_r * 0.9
    body = f'<path d="M{cx - size * 0.2:.0f},{base:.0f} L{cx - size * 0.13:.0f},{top:.0f} Q{cx:.0f},{top - size * 0.06:.0f} {cx + size * 0.13:.0f},{top:.0f} L{cx + size * 0.2:.0f},{base:.0f}Z" fill="{c["coat"]}" stroke="#222" stroke-width="3"/>'
    head = f'<circle cx="{cx:.0f}" cy="{hy:.0f}" r="{head_r:.0f}" fill="{c["skin"]}" stroke="#222" stroke-width="3"/>'
    eyes = "".join(
        f'<circle cx="{cx + d * head_r * 0.38:.0f}" cy="{hy - head_r * 0.1:.0f}" r="{max(2, head_r * 0.1):.1f}" fill="#222"/>'
        for d in (-1, 1)
    )
    smile = f'<path d="M{cx - head_r * 0.35:.0f},{hy + head_r * 0.35:.0f} q{head_r * 0.35:.0f},{head_r * 0.25:.0f} {head_r * 0.7:.0f},0" fill="none" stroke="#222" stroke-width="2"/>'
    hair = f'<path d="M{cx - head_r:.0f},{hy:.0f} a{head_r:.0f},{head_r:.0f} 0 0 1 {head_r * 2:.0f},0 q{-head_r:.0f},{-head_r * 0.5:.0f} {-head_r * 2:.0f},0Z" fill="{c["hair"]}"/>'
    extra = ""
    if slug == "wren":
        extra = f'<path d="M{cx - size * 0.14:.0f},{top + 4:.0f} h{size * 0.28:.0f} l-6,{size * 0.05:.0f} h{-size * 0.1:.0f} l-8,{size * 0.16:.0f} l-10,-4 l6,{-size * 0.12:.0f} h-4Z" fill="{c["extra"]}" stroke="#222" stroke-width="2"/>'
    elif slug == "osric":
        extra = f'<path d="M{cx - head_r * 0.8:.0f},{hy + head_r * 0.2:.0f} q{head_r * 0.8:.0f},{head_r * 2.2:.0f} {head_r * 1.6:.0f},0Z" fill="{c["extra"]}" stroke="#999" stroke-width="2"/>'
    elif slug == "marlo":
        extra = f'<path d="M{cx - head_r * 1.05:.0f},{hy - head_r * 0.3:.0f} a{head_r:.0f},{head_r * 0.9:.0f} 0 0 1 {head_r * 2.1:.0f},0 h{head_r * 0.6:.0f}Z" fill="{c["extra"]}" stroke="#222" stroke-width="2"/>'
    elif slug == "agathe":
        extra = (
            f'<path d="M{cx - head_r * 1.5:.0f},{hy - head_r * 0.5:.0f} L{cx:.0f},{hy - head_r * 1.8:.0f} L{cx + head_r * 1.5:.0f},{hy - head_r * 0.5:.0f}Z" fill="{c["extra"]}"/>'
            f'<rect x="{cx + size * 0.14:.0f}" y="{top + size * 0.1:.0f}" width="{size * 0.22:.0f}" height="8" rx="3" fill="#b08d57" stroke="#222" stroke-width="2"/>'
        )
    return body + head + hair + eyes + smile + extra


def pim(cx: float, base: float, size: float) -> str:
    s = size * 0.8
    return (
        f'<line x1="{cx - 6:.0f}" y1="{base:.0f}" x2="{cx - 4:.0f}" y2="{base - s * 0.35:.0f}" stroke="#7a5c12" stroke-width="4"/>'
        f'<line x1="{cx + 8:.0f}" y1="{base:.0f}" x2="{cx + 6:.0f}" y2="{base - s * 0.35:.0f}" stroke="#7a5c12" stroke-width="4"/>'
        f'<ellipse cx="{cx:.0f}" cy="{base - s * 0.45:.0f}" rx="{s * 0.22:.0f}" ry="{s * 0.13:.0f}" fill="#d4a72c" stroke="#6e5210" stroke-width="3"/>'
        f'<circle cx="{cx:.0f}" cy="{base - s * 0.45:.0f}" r="{s * 0.05:.0f}" fill="#f3d36b" stroke="#6e5210" stroke-width="2"/>'
        f'<path d="M{cx + s * 0.15:.0f},{base - s * 0.52:.0f} q{s * 0.12:.0f},{-s * 0.2:.0f} 0,{-s * 0.35:.0f}" fill="none" stroke="#d4a72c" stroke-width="7" stroke-linecap="round"/>'
        f'<circle cx="{cx + s * 0.15:.0f}" cy="{base - s * 0.9:.0f}" r="{s * 0.07:.0f}" fill="#d4a72c" stroke="#6e5210" stroke-width="2"/>'
        f'<path d="M{cx + s * 0.21:.0f},{base - s * 0.92:.0f} l{s * 0.22:.0f},{s * 0.03:.0f} l{-s * 0.22:.0f},{s * 0.04:.0f}Z" fill="#e07b24"/>'
    )


def thief(cx: float, base: float, size: float) -> str:
    return (
        f'<path d="M{cx - size * 0.24:.0f},{base:.0f} Q{cx - size * 0.2:.0f},{base - size * 0.7:.0f} {cx:.0f},{base - size * 0.86:.0f} Q{cx + size * 0.2:.0f},{base - size * 0.7:.0f} {cx + size * 0.24:.0f},{base:.0f}Z" fill="#77808c" stroke="#2b2b2b" stroke-width="3"/>'
        f'<ellipse cx="{cx:.0f}" cy="{base - size * 0.66:.0f}" rx="{size * 0.08:.0f}" ry="{size * 0.1:.0f}" fill="#1e1f24"/>'
        + halo(cx + size * 0.24, base - size * 0.35, size * 0.18)
        + f'<rect x="{cx + size * 0.18:.0f}" y="{base - size * 0.44:.0f}" width="{size * 0.12:.0f}" height="{size * 0.16:.0f}" rx="5" fill="#ffe27a" stroke="#f8f3df" stroke-width="2"/>'
    )


def figure(slug: str, cx: float, base: float, size: float, panel: tuple[float, float, float, float], seed: int) -> str:
    if slug == "pim":
        return pim(cx, base, size)
    if slug == "thief":
        return thief(cx, base, size)
    if slug == "moths":
        return moths(*panel, Rand(seed))
    if slug == "undertow":
        return ""  # drawn by the scene itself
    return person(slug, cx, base, size)


def balloon(
    kind: str, text: str, x: float, y: float, max_w: float, tail_x: float | None, tail_y: float
) -> tuple[str, float]:
    """One speech balloon, caption box or sound effect; returns (svg, height used)."""
    if kind == "sfx":
        return (
            f'<text x="{x + 10:.0f}" y="{y + 40:.0f}" font-family="{FONT}" font-size="38" font-weight="bold" fill="#f28c28" stroke="#5a2d0c" stroke-width="2" transform="rotate(-6 {x:.0f} {y:.0f})">{escape(text)}</text>',
            54,
        )
    per_line = max(14, int((max_w - 28) / 8.4))
    lines = textwrap.wrap(text, width=per_line)
    width = min(max_w, max(len(line) for line in lines) * 8.4 + 30)
    height = len(lines) * 20 + 18
    spans = "".join(
        f'<tspan x="{x + width / 2:.0f}" dy="{0 if i == 0 else 20}">{escape(line)}</tspan>'
        for i, line in enumerate(lines)
    )
    label = f'<text x="{x + width / 2:.0f}" y="{y + 24:.0f}" font-family="{FONT}" font-size="16" text-anchor="middle" fill="#1d1d1d">{spans}</text>'
    if kind == "narration":
        box = f'<rect x="{x:.0f}" y="{y:.0f}" width="{width:.0f}" height="{height:.0f}" fill="#fff3b0" stroke="#2b2b2b" stroke-width="2.5"/>'
        return box + label, height + 10
    tx = tail_x if tail_x is not None else x + width * 0.3
    base_x = min(max(tx, x + 24), x + width - 24)
    tail = f'<path d="M{base_x - 10:.0f},{y + height - 2:.0f} L{tx:.0f},{min(tail_y, y + height + 40):.0f} L{base_x + 10:.0f},{y + height - 2:.0f}Z" fill="#ffffff" stroke="#2b2b2b" stroke-width="2.5"/>'
    body = f'<rect x="{x:.0f}" y="{y:.0f}" width="{width:.0f}" height="{height:.0f}" rx="18" fill="#ffffff" stroke="#2b2b2b" stroke-width="2.5"/>'
    cover = f'<rect x="{base_x - 9:.0f}" y="{y + height - 5:.0f}" width="18" height="5" fill="#ffffff"/>'
    return tail + body + cover + label, height + 14


def panel_rects(layout: list[int], top: float) -> list[tuple[float, float, float, float]]:
    rows = len(layout)
    row_h = (H - MARGIN - top - GUTTER * (rows - 1) - 24) / rows
    rects: list[tuple[float, float, float, float]] = []
    for r, count in enumerate(layout):
        y = top + r * (row_h + GUTTER)
        col_w = (W - 2 * MARGIN - GUTTER * (count - 1)) / count
        rects.extend((MARGIN + c * (col_w + GUTTER), y, col_w, row_h) for c in range(count))
    return rects


def render_page(
    layout: list[int], panels: list[tuple[str, list[str], list[tuple[str, str]]]], *, title: str | None, folio: int
) -> str:
    rects = panel_rects(layout, MARGIN + (TITLE_H if title else 0))
    if len(rects) != len(panels):
        raise ValueError(f"layout {layout} has {len(rects)} panels but the page lists {len(panels)}")
    out = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{W}" height="{H}" viewBox="0 0 {W} {H}">', defs()]
    out.append(f'<rect width="{W}" height="{H}" fill="#fbf6ea"/>')
    if title:
        out.append(
            f'<text x="{W / 2:.0f}" y="{MARGIN + 42}" font-family="{FONT}" font-size="34" font-weight="bold" text-anchor="middle" fill="#3b2f5c">{escape(title)}</text>'
        )
    for i, ((x, y, w, h), (name, cast, spoken)) in enumerate(zip(rects, panels, strict=True)):
        seed = folio * 100 + i
        out.append(
            f'<clipPath id="c{i}"><rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}"/></clipPath><g clip-path="url(#c{i})">'
        )
        out.append(scene(name, x, y, w, h, seed))
        size = min(h * 0.62, 230.0)
        drawn = [s for s in cast if s not in {"moths", "undertow"}]
        spots = {s: x + w * (k + 1) / (len(drawn) + 1) for k, s in enumerate(drawn)}
        for slug in cast:
            out.append(figure(slug, spots.get(slug, x + w / 2), y + h - 10, size, (x, y, w, h), seed))
        by = y + 12
        for n, (speaker, text) in enumerate(spoken):
            kind = speaker if speaker in {"narration", "sfx"} else "speech"
            bx = x + 12 if n % 2 == 0 else x + w * 0.3
            head_y = y + h - 10 - size * 0.9
            svg, used = balloon(kind, text, bx, by, min(w - 24 - (bx - x - 12), 380), spots.get(speaker), head_y)
            out.append(svg)
            by += used
        out.append("</g>")
        out.append(
            f'<rect x="{x:.0f}" y="{y:.0f}" width="{w:.0f}" height="{h:.0f}" fill="none" stroke="#2b2b2b" stroke-width="4" rx="4"/>'
        )
    out.append(
        f'<text x="{W / 2:.0f}" y="{H - 14}" font-family="{FONT}" font-size="14" text-anchor="middle" fill="#8a7f6a">{folio}</text>'
    )
    out.append("</svg>")
    return "\n".join(out) + "\n"
