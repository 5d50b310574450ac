# Sphinx configuration for the bigs_nb book. `python tools/book.py docs` stages the notebooks and this file into
# _proc/docs and builds the site into _docs/ with warnings as errors. Nothing here needs the network: the notebooks'
# stored outputs are rendered as they are (no execution), and MathJax 3 and its fonts are served from the site itself.
import bigs_nb

project = "bigs_nb"
author = "bigs_nb developers"
copyright = "2026, bigs_nb developers"
release = version = bigs_nb.__version__

# sphinx-mathjax-offline (after sphinx.ext.mathjax): MathJax 3 with its TeX fonts, copied into _static/mathjax
extensions = ["myst_nb", "sphinx.ext.autodoc", "sphinx.ext.mathjax", "sphinx-mathjax-offline"]
root_doc = "index"
exclude_patterns = ["_build", "**.ipynb_checkpoints"]
suppress_warnings = ["misc.highlighting_failure"]

# notebooks: rendered from their stored outputs, as `python tools/book.py run` left them
nb_execution_mode = "off"
nb_merge_streams = True
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3
myst_update_mathjax = False

# autodoc: the API pages document each module from its docstrings (nbdev writes one-line docstrings)
autodoc_member_order = "bysource"
autodoc_typehints = "none"
autodoc_default_options = {"members": True, "undoc-members": False}

# MathJax 3: sphinx-mathjax-offline sets mathjax_path to its own copy (mathjax/tex-chtml.js) and copies it with its
# fonts into the site. Only the math that MyST marked (class "math") is typeset: TeX anywhere else stays as text, so
# tools/site_check.py sees it. Environments are written out by amsmath/dollarmath inside those elements.
mathjax3_config = {"startup": {"elements": [".math"]},
                   "tex": {"inlineMath": [["\\(", "\\)"]], "displayMath": [["\\[", "\\]"]], "processRefs": False}}

html_theme = "sphinx_book_theme"
html_title = f"bigs_nb {version}"
html_static_path = ["_static"]
html_css_files = ["bigs.css"]
html_theme_options = {
    "repository_url": "https://github.com/bigs-nb/bigs_nb",
    "use_repository_button": True,
    "show_toc_level": 2,
}
html_last_updated_fmt = None


# nbdev docstrings are written in markdown: `code` is a literal, and a bare * (as in *args) is just a star.
import re  # noqa: E402

_TICKS = re.compile(r"(?<!`)`([^`]+)`(?!`)")


def _markdown_docstring(app, what, name, obj, options, lines):
    for i, line in enumerate(lines):
        parts = re.split(r"(``[^`]+``|`[^`]+`)", line)
        parts = [_TICKS.sub(r"``\1``", p) if p.startswith("`") else p.replace("*", r"\*") for p in parts]
        lines[i] = "".join(parts)


def setup(app):
    app.connect("autodoc-process-docstring", _markdown_docstring)
