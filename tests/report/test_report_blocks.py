"""The HTML building blocks every report page is made of: escaping, tables, embedded images, the page."""

from __future__ import annotations

import base64
import io
import re

import numpy as np
import pytest
from PIL import Image

from featclf.report._blocks import CSS, escape, img, matrix_table, page, png_data_uri, table, thumbnail_uri

PREFIX = "data:image/png;base64,"


def decode(uri):
    assert uri.startswith(PREFIX)
    return Image.open(io.BytesIO(base64.b64decode(uri[len(PREFIX):], validate=True)))


def test_escape_covers_the_five_html_specials_and_converts_to_str():
    assert escape("""<a href="x">Tom & 'Jerry'</a>""") == (
        "&lt;a href=&quot;x&quot;&gt;Tom &amp; &#x27;Jerry&#x27;&lt;/a&gt;")
    assert escape(3.5) == "3.5" and escape("grün") == "grün"


def test_table_escapes_cells_marks_the_best_row_and_numeric_columns():
    text = table(["name", "<score>"], [["a & b", 0.5], ["c", 1]], best_row=1, numeric={1})
    assert text.startswith('<div class="scroll"><table><thead><tr><th>name</th><th>&lt;score&gt;</th></tr>')
    assert text.endswith("</tbody></table></div>")
    rows = re.findall(r"<tr[^>]*>.*?</tr>", text.split("<tbody>")[1])
    assert rows == ['<tr><td>a &amp; b</td><td class="num">0.5</td></tr>',
                    '<tr class="best"><td>c</td><td class="num">1</td></tr>']
    assert 'class="best"' not in table(["x"], [[1], [2]])


def test_matrix_table_shades_cells_by_row_share_and_blanks_zeros():
    text = matrix_table(np.array([[3, 1], [0, 0]]), ["a", "<b>"], ["p", "q"], corner="true \\ predicted")
    assert text.startswith('<table class="cm"><tr><th>true \\ predicted</th><th>p</th><th>q</th></tr>')
    assert '<td style="background:rgba(33,113,181,0.75);color:#fff">3</td>' in text
    assert '<td style="background:rgba(33,113,181,0.25);color:#000">1</td>' in text
    assert "<tr><th>&lt;b&gt;</th>" + '<td style="background:rgba(33,113,181,0.00);color:#000"></td>' * 2 in text


@pytest.mark.parametrize("shape", [(8, 8), (8, 5), (8, 8, 3), (30, 200, 3), (300, 120)])
@pytest.mark.parametrize("size", [96, 40])
def test_thumbnail_of_grey_and_rgb_images_decodes_and_fits_the_size(shape, size):
    image = np.random.default_rng(0).integers(0, 256, size=shape, dtype=np.uint8)
    uri = thumbnail_uri(image, size=size)
    thumb = decode(uri)
    assert thumb.format == "PNG"
    assert max(thumb.size) <= size
    h, w = shape[:2]
    assert thumb.size[0] / thumb.size[1] == pytest.approx(w / h, rel=0.1)  # aspect ratio kept
    assert thumb.mode == ("L" if len(shape) == 2 else "RGB")
    if max(h, w) <= size // 2:  # small images are enlarged by an integer factor, pixels kept exactly
        factor = size // max(h, w)
        assert thumb.size == (w * factor, h * factor)
        np.testing.assert_array_equal(np.asarray(thumb)[::factor, ::factor], image)


def test_png_data_uri_and_img_element():
    buffer = io.BytesIO()
    Image.new("RGB", (3, 2), (255, 0, 0)).save(buffer, format="PNG")
    uri = png_data_uri(buffer.getvalue())
    assert decode(uri).size == (3, 2)
    assert img(uri, 'a "b" <c>') == f'<img alt="a &quot;b&quot; &lt;c&gt;" src="{uri}">'
    assert img(uri, "x", title="t&t") == f'<img alt="x" title="t&amp;t" src="{uri}">'


def test_page_is_a_full_self_contained_document():
    text = page("Gallery <1> & co", ["<p>one</p>", '<div class="thumbs"></div>'], footer="made by <me>")
    assert text.startswith("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\">")
    assert text.endswith("</body></html>")
    assert f"<style>{CSS}</style></head><body>" in text
    assert "<title>Gallery &lt;1&gt; &amp; co</title>" in text and "<h1>Gallery &lt;1&gt; &amp; co</h1>" in text
    assert text.index("<h1>") < text.index("<p>one</p>") < text.index('<div class="thumbs">') < text.index("<footer>")
    assert "<footer>made by &lt;me&gt;</footer>" in text
    assert "<footer>" not in page("t", [])
    assert not re.search(r"https?://", text) and not re.search(r"https?://", CSS)
    assert "<script" not in text and "<link" not in text and "@import" not in text

