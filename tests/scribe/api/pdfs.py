"""Tiny, valid PDFs for résumé tests: one page of Helvetica text lines, with a correct cross-reference table."""

from __future__ import annotations

RESUME_LINES = [
    "Jordan Rivera",
    "jordan.rivera@example.edu | (555) 010-2030",
    "Education",
    "Lakeshore Institute of Technology, Lakeshore, 2023-2027",
    "B.S. in Chemical Engineering, minor in Biology",
    "Experience",
    "- Research assistant in a protein engineering lab, ran 40 purification runs",
    "- Built a Python pipeline that analyzed 2,000 microscopy images",
    "Skills: Python, MATLAB, wet lab techniques",
]


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("(", "\\(").replace(")", "\\)")


def make_pdf(lines: list[str]) -> bytes:
    stream = "BT /F1 11 Tf 50 760 Td 14 TL " + " ".join(f"({_escape(line)}) '" for line in lines) + " ET"
    objects = [
        "<< /Type /Catalog /Pages 2 0 R >>",
        "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R "
        "/Resources << /Font << /F1 5 0 R >> >> >>",
        f"<< /Length {len(stream.encode('latin-1'))} >>\nstream\n{stream}\nendstream",
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
    ]
    out = b"%PDF-1.4\n"
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += f"{number} 0 obj\n{body}\nendobj\n".encode("latin-1")
    xref = len(out)
    out += f"xref\n0 {len(objects) + 1}\n0000000000 65535 f \n".encode()
    out += "".join(f"{offset:010d} 00000 n \n" for offset in offsets).encode()
    out += f"trailer\n<< /Size {len(objects) + 1} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n".encode()
    return out
