"""The book's maintenance commands, for contributors (README, "Working on the book").

    python tools/book.py run [CHAPTER ...]   execute the chapters in order and store their outputs in place
    python tools/book.py unrun               list the code cells `run` leaves unexecuted, and why
    python tools/book.py tidy [CHAPTER ...]  re-apply `run`'s output rules to stored outputs (no execution)
    python tools/book.py numbers [CHAPTER]   list the numbers in prose that no stored output of their chapter shows
    python tools/book.py imports             the package's import graph in chapter order (a later chapter is an error)
    python tools/book.py check               the rules CI enforces on stored outputs and on the README's table
    python tools/book.py selftest            show that `check` fails on a deliberately bad notebook of each kind
    python tools/book.py docs [CHAPTER ...]  build the docs site into _docs/ (Sphinx + myst-nb, warnings are errors)
    python tools/book.py readme              write README.md (and the layer picture it shows) from nbs/index.ipynb

A chapter is given by its file name or its number: `python tools/book.py run 03_layer` or `run 03`.
"""
from __future__ import annotations

import argparse, json, os, re, shutil, subprocess, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
NBS = ROOT / "nbs"
SKIP_FLAGS = {"hub": "needs the network", "tpu": "needs a TPU", "eval: false": "an install line for Colab",
              "book: skip": "too long to run for the stored outputs; the markdown above gives the recorded figures"}
MAX_STREAM_LINES = 40          # a longer printed stream keeps its first and last lines
FIGURE_DPI = 72                # modest figures: about 30-60 kB each


# ---------------------------------------------------------------- reading notebooks
def chapters(names=()) -> list[Path]:
    "The book in reading order: the front page, then 00_..., 01_..., or only the chapters named."
    found = [NBS / "index.ipynb"] + sorted(NBS.glob("[0-9][0-9]_*.ipynb"))
    if not names: return found
    picked = []
    for n in names:
        hits = [p for p in found if p.stem == n or p.stem.split("_")[0] == n or p.name == n]
        if not hits: raise SystemExit(f"book: no chapter {n!r}; chapters: {', '.join(p.stem for p in found)}")
        picked += hits
    return picked


def directives(cell) -> list[str]:
    "The nbdev `#| ...` lines at the top of a code cell, without the `#|`."
    out, src = [], cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
    for line in src.splitlines():
        if not line.startswith("#|"): break
        out.append(line[2:].strip())
    return out


def skip_flag(cell) -> str | None:
    "The SKIP_FLAGS key that keeps `run` from executing this code cell, or None if it runs."
    for d in directives(cell):
        for flag in SKIP_FLAGS:
            if d == flag or d.startswith(flag + " "): return flag
    return None


def skip_reason(cell) -> str | None:
    "Why `run` leaves this code cell unexecuted, or None if it runs."
    flag = skip_flag(cell)
    return f"{flag}: {SKIP_FLAGS[flag]}" if flag else None


def module_of(nb: dict) -> str:
    "The module a notebook exports to (its `default_exp`), or ''."
    return next((d.split()[1] for c in nb["cells"] if c["cell_type"] == "code" for d in directives(c)
                 if d.startswith("default_exp ")), "")


def quiet(cell) -> bool:
    "A code cell that prints nothing by design: empty, or only nbdev plumbing (export, default_exp, hide)."
    ds = directives(cell)
    return not cell["source"].strip() or bool(ds) and all(d.startswith(("export", "default_exp", "hide")) for d in ds)


def read(path: Path) -> dict:
    nb = json.loads(path.read_text())
    for c in nb["cells"]:
        if isinstance(c["source"], list): c["source"] = "".join(c["source"])
    return nb


# ---------------------------------------------------------------- running the book
SETUP = f"""
import matplotlib, os, warnings
warnings.filterwarnings("ignore", message="IProgress not found")   # tqdm.auto in a kernel without ipywidgets
warnings.filterwarnings("ignore", message="os.fork")              # subprocesses started from a kernel that ran JAX
matplotlib.rcParams.update({{"figure.dpi": {FIGURE_DPI}, "savefig.dpi": {FIGURE_DPI}}})
os.environ["TQDM_DISABLE"] = "1"
"""


def tidy_stream(text: str) -> str:
    "What a terminal would finally show (carriage returns applied), capped at MAX_STREAM_LINES lines."
    lines = [ln.rsplit("\r", 1)[-1] for ln in text.split("\n")]
    if len(lines) > MAX_STREAM_LINES:
        keep = MAX_STREAM_LINES // 2
        lines = lines[:keep] + [f"... ({len(lines) - 2 * keep} lines not stored)"] + lines[-keep:]
    return "\n".join(lines)


LIBRARY_TRACEBACK = re.compile(r"^(Traceback \(most recent call last\)|Exception ignored in|During handling of|\s+\S)"
                               r"|^[A-Za-z_][\w.]*(Error|Exception)(: |$)")


def drop_ignored_tracebacks(text: str) -> str:
    """stderr of a cell that succeeded: tracebacks in it belong to exceptions a library caught and ignored (orbax's
    async reader prints some when a test damages a checkpoint). They are noise to a reader: keep a count instead."""
    if "Traceback (most recent call last)" not in text: return text
    lines = text.split("\n")
    kept = [ln for ln in lines if ln.strip() and not LIBRARY_TRACEBACK.match(ln)]
    return "\n".join(kept + [f"({len(lines) - len(kept)} lines of tracebacks of exceptions that a library caught "
                             "and ignored were printed here; not stored)"])


def tidy_outputs(cell) -> None:
    "Join each run of printed text, keep what a terminal would show at the end, and drop what ends up blank."
    outs = []
    for out in cell.get("outputs", []):
        prev = outs[-1] if outs else None
        if out.get("output_type") == "stream" and prev and prev.get("output_type") == "stream" \
                and prev["name"] == out["name"]:
            prev["text"] = "".join(prev["text"]) + "".join(out["text"])
        else: outs.append(out)
    for out in outs:
        if out.get("output_type") == "stream":
            text = tidy_stream("".join(out["text"]))
            if out["name"] == "stderr": text = drop_ignored_tracebacks(text)
            out["text"] = "\n".join(ln.rstrip() for ln in text.split("\n")).strip("\n")
            out["text"] += "\n" if out["text"] else ""
    cell["outputs"] = [o for o in outs if o.get("output_type") != "stream" or o["text"].strip()]


def run_chapter(path: Path, timeout: int) -> list[tuple[int, float]]:
    "Execute one notebook top to bottom in a fresh kernel and write it back with its outputs; return slow cells."
    import nbformat
    from nbclient import NotebookClient
    nb = nbformat.read(path, as_version=4)
    client = NotebookClient(nb, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(NBS)}})
    slow = []
    with client.setup_kernel():
        nb.cells.insert(0, nbformat.v4.new_code_cell(SETUP))    # nbclient stores each executed cell at its index,
        client.execute_cell(nb.cells[0], 0)                      # so the setup cell sits there while it runs
        nb.cells.pop(0)
        for i, cell in enumerate(nb.cells):
            if cell.cell_type != "code": continue
            if skip_reason(cell):
                cell.outputs, cell.execution_count = [], None
                continue
            t = time.perf_counter()
            client.execute_cell(cell, i)          # raises CellExecutionError: the chapter is not written
            tidy_outputs(cell)
            if (dt := time.perf_counter() - t) > 20: slow.append((i, dt))
    nbformat.write(nb, path)
    return slow


def cmd_run(args) -> int:
    os.environ.update(TQDM_DISABLE="1", MPLBACKEND="module://matplotlib_inline.backend_inline",
                      TRANSFORMERS_NO_ADVISORY_WARNINGS="1", PYTHONWARNINGS="ignore::DeprecationWarning")
    t0 = time.time()
    paths = chapters(args.chapters)
    for path in paths:
        t = time.time()
        print(f"book run: {path.name} ...", flush=True)
        slow = run_chapter(path, args.timeout)
        print(f"book run: {path.name} done in {time.time() - t:.0f} s"
              + "".join(f"; cell {i} took {dt:.0f} s" for i, dt in slow), flush=True)
    subprocess.run(["nbdev-clean"], cwd=ROOT, check=True)
    print(f"book run: {len(paths)} notebooks in {time.time() - t0:.0f} s; outputs stored, "
          f"notebooks cleaned")
    return 0


def cmd_tidy(args) -> int:
    "Apply the output rules of `run` (streams joined, progress bars settled, ignored tracebacks counted) in place."
    import nbformat
    for path in chapters(args.chapters):
        nb = nbformat.read(path, as_version=4)
        for cell in nb.cells:
            if cell.cell_type == "code": tidy_outputs(cell)
        nbformat.write(nb, path)
    subprocess.run(["nbdev-clean"], cwd=ROOT, check=True)
    return 0


def cmd_unrun(args) -> int:
    for path in chapters(args.chapters):
        for i, cell in enumerate(read(path)["cells"]):
            if cell["cell_type"] == "code" and (why := skip_reason(cell)):
                first = next((ln for ln in cell["source"].splitlines() if not ln.startswith("#|")), "")
                print(f"{path.stem} cell {i}: {why}  |  {first[:70]}")
    return 0


# ---------------------------------------------------------------- checks CI runs
def is_traceback(out) -> bool:
    if out.get("output_type") == "error": return True
    text = "".join(out.get("text", "")) if out.get("output_type") == "stream" else ""
    return "Traceback (most recent call last)" in text


ANNOUNCE = {"hub": ("network",), "tpu": ("tpu", "accelerator"), "book: skip": ("not run",)}


def announced(cells, i: int) -> bool:
    "A skipped cell (install lines aside) needs the nearest markdown cell above it to say why, in ANNOUNCE's words."
    words = ANNOUNCE.get(skip_flag(cells[i]))
    above = next((c["source"] for c in reversed(cells[:i]) if c["cell_type"] == "markdown"), "").lower()
    return words is None or any(w in above for w in words)


def check_notebook(path: Path) -> list[str]:
    "Problems with one notebook's stored outputs."
    nb, problems = read(path), []
    runnable, stored = 0, 0
    for i, cell in enumerate(nb["cells"]):
        if cell["cell_type"] != "code": continue
        outs = cell.get("outputs", [])
        if any(is_traceback(o) for o in outs): problems.append(f"{path.name} cell {i}: a stored output is a traceback")
        if skip_reason(cell):
            if outs: problems.append(f"{path.name} cell {i}: a cell `run` skips ({skip_reason(cell)}) stores output")
            if not announced(nb["cells"], i):
                problems.append(f"{path.name} cell {i}: no markdown line above says why this cell is not run "
                                f"({skip_reason(cell)}); it should say {' or '.join(ANNOUNCE[skip_flag(cell)])!r}")
            continue
        runnable += not quiet(cell)
        stored += bool(outs)
    if runnable and not stored:
        problems.append(f"{path.name}: {runnable} code cells run but none stores an output "
                        f"(run `python tools/book.py run {path.stem}`)")
    return problems


TABLE_ROW = re.compile(r"^\| `(\d\d_\w+)` \| (?:`bigs_nb\.(\w+)`)? *\|")


def chapter_table(text: str) -> list[tuple[str, str]]:
    "The (notebook, module) rows of a chapter table written in markdown."
    return [(m.group(1), m.group(2) or "") for ln in text.splitlines() if (m := TABLE_ROW.match(ln))]


def notebook_modules(nbs: Path) -> list[tuple[str, str]]:
    "What the notebooks folder holds: (notebook, module it exports or '') in order."
    return [(p.stem, module_of(read(p))) for p in sorted(nbs.glob("[0-9][0-9]_*.ipynb"))]


def check_tables(root: Path) -> list[str]:
    "The README's chapter table (and the front page's) must list exactly the notebooks, in order, with their modules."
    want, problems = notebook_modules(root / "nbs"), []
    sources = {"README.md": (root / "README.md").read_text()}
    if (root / "nbs" / "index.ipynb").exists():
        sources["nbs/index.ipynb"] = "\n".join(c["source"] for c in read(root / "nbs" / "index.ipynb")["cells"]
                                               if c["cell_type"] == "markdown")
    for name, text in sources.items():
        have = chapter_table(text)
        if have != want:
            extra, missing = [r for r in have if r not in want], [r for r in want if r not in have]
            problems.append(f"{name}: the chapter table disagrees with nbs/ (table only: {extra or 'none'}; "
                            f"notebooks only: {missing or 'none'}{'; order differs' if not extra + missing else ''})")
    return problems


# ---------------------------------------------------------------- numbers in prose are outputs
# A number in a chapter's prose that looks measured must be shown by a stored output of the same chapter.
PROSE_NUMBER = re.compile(r"(?<![\w.,/#-])(\d+(?:\.\d+)?e[-+]?\d+|\d{1,3}(?:,\d{3})+(?:\.\d+)?|\d+\.\d+)"
                          r"(?![\w]*\.?\d|,\d)")
OUTPUT_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?(?:[eE][-+]?\d+)?")
NOT_MEASURED = re.compile(r"<!--\s*not measured:(.*?)-->", re.S)
NOT_PROSE = [re.compile(r, re.S) for r in (r"```.*?```", r"~~~.*?~~~", r"`[^`\n]*`", r"\$\$.*?\$\$", r"\$[^$\n]+\$",
                                           r"\\\(.*?\\\)", r"\]\([^)]*\)", r"<!--.*?-->", r"<[^>\n]*>", r"https?://\S+")]


def prose_numbers(md: str) -> list[str]:
    "The measured-looking numbers of a markdown cell: decimals, e-notation, comma-grouped integers; minus exemptions."
    exempt = {t.strip(",;") for m in NOT_MEASURED.finditer(md) for t in m.group(1).split()}
    for rx in NOT_PROSE: md = rx.sub(" ", md)
    return [n for n in PROSE_NUMBER.findall(md) if n not in exempt]


def output_text(cell) -> str:
    "Everything a code cell's stored outputs show as text (images left out)."
    parts = []
    for o in cell.get("outputs", []):
        if o.get("output_type") == "stream": parts.append("".join(o.get("text", "")))
        for mime in ("text/plain", "text/markdown", "text/html", "text/latex"):
            v = o.get("data", {}).get(mime)
            if v: parts.append("".join(v))
    return "\n".join(parts)


def output_values(nb: dict) -> list[float]:
    "Every number printed by the notebook's stored outputs, as a float."
    text = "\n".join(output_text(c) for c in nb["cells"] if c["cell_type"] == "code")
    return sorted({float(m.replace(",", "")) for m in OUTPUT_NUMBER.findall(text)})


def tolerance(n: str) -> float:
    "Half a unit of the last digit a prose number states: 63.6 -> 0.05, 2.86e-6 -> 5e-9, 16,500 -> 50."
    n = n.replace(",", "")
    if "e" in n:
        mant, exp = n.split("e")
        k = len(mant.split(".")[1]) if "." in mant else 0
        return 0.5 * 10.0 ** (int(exp) - k)
    if "." in n: return 0.5 * 10.0 ** -len(n.split(".")[1])
    return 0.5 * 10.0 ** (len(n) - len(n.rstrip("0")))


def shown(n: str, values: list[float]) -> bool:
    "Does some output value round to the prose number `n` at the precision `n` is written with?"
    import bisect
    p, tol = float(n.replace(",", "")), tolerance(n) * (1 + 1e-9)
    i = bisect.bisect_left(values, p - tol)
    return i < len(values) and values[i] <= p + tol


def unshown_numbers(path: Path) -> list[tuple[int, str]]:
    "(cell index, number) for each measured-looking prose number that no stored output of the notebook shows."
    nb = read(path)
    values = output_values(nb)
    return [(i, n) for i, c in enumerate(nb["cells"]) if c["cell_type"] == "markdown"
            for n in dict.fromkeys(prose_numbers(c["source"])) if not shown(n, values)]


def check_numbers(path: Path) -> list[str]:
    return [f"{path.name} cell {i}: the number {n} in prose is shown by no stored output of the chapter (print it "
            f"from the cell that measures it, or mark a setting or a published figure <!-- not measured: {n} -->)"
            for i, n in unshown_numbers(path)]


def cmd_numbers(args) -> int:
    "List the prose numbers no output shows, chapter by chapter, with the sentence around each."
    total = 0
    for path in chapters(args.chapters):
        nb, found = read(path), unshown_numbers(path)
        total += len(found)
        for i, n in found:
            text = re.sub(r"\s+", " ", nb["cells"][i]["source"])
            at = text.find(n)
            print(f"{path.stem} cell {i}: {n:<10} ...{text[max(0, at - 60):at + len(n) + 30]}...")
    print(f"book numbers: {total} prose numbers shown by no output")
    return 1 if total else 0


# ---------------------------------------------------------------- chapters import only the chapters before them
def package_imports(root: Path) -> dict[str, set[str]]:
    "For each module of the package, the package modules it imports anywhere (module level or inside a function)."
    import ast
    graph = {}
    for py in sorted((root / "bigs_nb").glob("*.py")):
        if py.stem.startswith("_"): continue
        found = set()
        for node in ast.walk(ast.parse(py.read_text())):
            if isinstance(node, ast.ImportFrom):
                if node.level == 1 and node.module: found.add(node.module.split(".")[0])
                elif node.level == 1: found |= {a.name for a in node.names}
                elif (node.module or "").startswith("bigs_nb."): found.add(node.module.split(".")[1])
            elif isinstance(node, ast.Import):
                found |= {a.name.split(".")[1] for a in node.names if a.name.startswith("bigs_nb.")}
        graph[py.stem] = found - {py.stem, "__version__"}
    return graph


def check_imports(root: Path) -> list[str]:
    "Every module imports only modules whose chapters come before its own (so there is no import cycle)."
    order = {m: nb for nb, m in notebook_modules(root / "nbs") if m}
    return [f"bigs_nb/{m}.py (chapter {order[m]}) imports bigs_nb.{d} (chapter {order.get(d, '?')}), which does not "
            f"come before it" for m, deps in package_imports(root).items() if m in order
            for d in sorted(deps) if d not in order or order[d] >= order[m]]


def cmd_imports(args) -> int:
    "Print the package's import graph in chapter order, and any import that breaks the order."
    order = {m: nb for nb, m in notebook_modules(NBS) if m}
    graph = package_imports(ROOT)
    for m in sorted(graph, key=lambda m: order.get(m, "zz")):
        deps = sorted(graph[m], key=lambda d: order.get(d, "zz"))
        print(f"{order.get(m, '?'):<12} {m:<9} <- {', '.join(deps) or '-'}")
    problems = check_imports(ROOT)
    for p in problems: print(f"book imports: {p}")
    return 1 if problems else 0


def check_book(root: Path) -> list[str]:
    problems = check_tables(root) + (check_imports(root) if (root / "bigs_nb").exists() else [])
    if (root / "nbs" / "index.ipynb").exists() and readme_from_index(root)[0] != (root / "README.md").read_text():
        problems.append("README.md is not what nbs/index.ipynb says: run `python tools/book.py readme`")
    for p in [root / "nbs" / "index.ipynb"] + sorted((root / "nbs").glob("[0-9][0-9]_*.ipynb")):
        if p.exists(): problems += check_notebook(p) + check_numbers(p)
    return problems


def cmd_check(args) -> int:
    problems = check_book(ROOT)
    for p in problems: print(f"book check: {p}")
    n = len(chapters())
    print(f"book check: {n} notebooks, {len(problems)} problems")
    return 1 if problems else 0


# ---------------------------------------------------------------- the checks fail on bad notebooks
def _nb(cells) -> dict:
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


def _code(src, outputs=()):
    return {"cell_type": "code", "id": "c", "metadata": {}, "execution_count": None, "source": src,
            "outputs": list(outputs)}


def _prose(src):
    return {"cell_type": "markdown", "id": "p", "metadata": {}, "source": src}


def _write_book(root: Path, cells, readme_rows=("| `00_x` | `bigs_nb.x` | x |",)):
    (root / "nbs").mkdir(parents=True, exist_ok=True)
    (root / "nbs" / "00_x.ipynb").write_text(json.dumps(_nb(cells)))
    (root / "README.md").write_text("| notebook | module | what |\n|---|---|---|\n" + "\n".join(readme_rows) + "\n")


def _write_front_page(root: Path, table_row: str):
    "A front page whose markdown differs from the README that `_write_book` wrote (same chapter table)."
    text = "# x\n\nA sentence the README lacks.\n\n| notebook | module | what |\n|---|---|---|\n" + table_row
    md = {"cell_type": "markdown", "id": "i", "metadata": {}, "source": text}
    (root / "nbs" / "index.ipynb").write_text(json.dumps(_nb([md])))


def cmd_selftest(args) -> int:
    "Each rule of `check` on a good notebook (passes) and on one bad notebook per rule (fails, naming the rule)."
    out = {"output_type": "stream", "name": "stdout", "text": "4\n"}
    tb = {"output_type": "error", "ename": "ValueError", "evalue": "bad", "traceback": ["Traceback ..."]}
    md = {"cell_type": "markdown", "id": "m", "metadata": {}, "source": "This cell needs the network."}
    took = {"output_type": "stream", "name": "stdout", "text": "took 1.2516 s, 4.04 GB\n"}
    good = [_code("#| default_exp x"), _code("2 + 2", [out]), md, _code("#| hub\nload()")]
    cases = {
        "good": (good, None, None),
        "traceback": ([_code("#| default_exp x"), _code("1/0", [tb])], None, "traceback"),
        "no output": ([_code("#| default_exp x"), _code("2 + 2")], None, "none stores an output"),
        "skipped cell with output": ([_code("#| default_exp x"), _code("2 + 2", [out]), md,
                                      _code("#| hub\nf()", [out])], None, "skips"),
        "README table": (good, ("| `00_y` | `bigs_nb.y` | y |",), "chapter table disagrees"),
        "README not from the front page": (good, None, "README.md is not what nbs/index.ipynb says"),
        "unannounced hub cell": ([_code("#| default_exp x"), _code("2 + 2", [out]), _code("#| hub\nf()")], None,
                                 "says why this cell is not run"),
        "number shown by an output": (good + [_prose("It took 1.25 s and 4.0 GB."), _code("t", [took])], None, None),
        "setting marked as not measured": (good + [_prose("lr 3e-3 <!-- not measured: 3e-3 -->")], None, None),
        "drifted number in prose": (good + [_prose("It took 1.23 s."), _code("t", [took])], None,
                                    "the number 1.23 in prose is shown by no stored output"),
    }
    failed = 0
    for name, (cells, rows, expect) in cases.items():
        with tempfile.TemporaryDirectory() as d:
            _write_book(Path(d), cells, rows or ("| `00_x` | `bigs_nb.x` | x |",))
            if name.startswith("README not"): _write_front_page(Path(d), "| `00_x` | `bigs_nb.x` | x |")
            problems = check_book(Path(d))
        ok = (not problems) if expect is None else any(expect in p for p in problems)
        failed += not ok
        print(f"book selftest: {name:<31} {'ok' if ok else 'WRONG'}: {problems or 'no problems'}")
    with tempfile.TemporaryDirectory() as d:     # a chapter's module importing a later chapter's module
        root = Path(d)
        _write_book(root, good)
        (root / "nbs" / "01_y.ipynb").write_text(json.dumps(_nb([_code("#| default_exp y"), _code("1", [out])])))
        (root / "bigs_nb").mkdir()
        (root / "bigs_nb" / "x.py").write_text("def f():\n    from .y import g\n    return g\n")
        (root / "bigs_nb" / "y.py").write_text("def g(): return 1\n")
        problems = check_imports(root)
        ok = any("imports bigs_nb.y" in p for p in problems)
        failed += not ok
        print(f"book selftest: {'import of a later chapter':<31} {'ok' if ok else 'WRONG'}: {problems or 'none'}")
    return 1 if failed else 0


# ---------------------------------------------------------------- the README is the front page
README_FIGURE = "nbs/images/bigs_layer.png"


def readme_from_index(root: Path) -> tuple[str, bytes | None]:
    "README.md's text from the front page's markdown cells, and the PNG of its one stored figure."
    import base64
    parts, png = [], None
    for cell in read(root / "nbs" / "index.ipynb")["cells"]:
        if cell["cell_type"] == "markdown":
            parts.append(re.sub(r"\]\(((?:\d\d_\w+\.ipynb)|images/[^)]+)\)", r"](nbs/\1)", cell["source"]))
            continue
        images = [o["data"]["image/png"] for o in cell.get("outputs", []) if "image/png" in o.get("data", {})]
        if images:
            png = base64.b64decode("".join(images[0]))
            parts.append(f"![One BiGS layer]({README_FIGURE})")
    return "\n\n".join(parts).rstrip() + "\n", png


def cmd_readme(args) -> int:
    text, png = readme_from_index(ROOT)
    if png is None:
        raise SystemExit("book readme: the front page stores no figure; run `python tools/book.py run index`")
    (ROOT / README_FIGURE).parent.mkdir(exist_ok=True)
    (ROOT / README_FIGURE).write_bytes(png)
    (ROOT / "README.md").write_text(text)
    print(f"book readme: wrote README.md and {README_FIGURE} from nbs/index.ipynb")
    return 0


# ---------------------------------------------------------------- the docs site
COLAB_BADGE = "https://colab.research.google.com/assets/colab-badge.svg"
LOCAL_BADGE = "images/colab-badge.svg"      # nbs/images/colab-badge.svg: the site serves its own copy


def staged_cell(cell) -> dict | None:
    "A notebook cell as the site shows it: nbdev directives become myst-nb tags and leave the source."
    if cell["cell_type"] == "markdown": return dict(cell, source=cell["source"].replace(COLAB_BADGE, LOCAL_BADGE))
    if cell["cell_type"] != "code": return cell
    ds = directives(cell)
    if any(d.startswith(("default_exp", "hide")) for d in ds): return None
    cell = dict(cell, source="\n".join(ln for ln in cell["source"].splitlines() if not ln.startswith("#|")))
    tags = []
    if any(d.startswith("echo: false") for d in ds): tags.append("remove-input")
    if any(d.startswith("output: false") for d in ds): tags.append("remove-output")
    if any(d.startswith("code-fold: true") for d in ds): tags.append("hide-input")     # shown folded
    cell["metadata"] = dict(cell.get("metadata", {}), tags=tags) if tags else cell.get("metadata", {})
    return cell


API_PAGE = "# API reference\n\nEvery exported name, module by module, from its docstring.\n\n{body}\n"


def stage_docs(dest: Path, names=()) -> None:
    "Copy conf, static files, images, the chapters (directives turned into tags) and the API pages into `dest`."
    if dest.exists(): shutil.rmtree(dest)
    shutil.copytree(ROOT / "docs", dest)
    shutil.copytree(NBS / "images", dest / "images")     # pictures the pages link to, the Colab badge among them
    pages = chapters(names)
    if NBS / "index.ipynb" not in pages: pages = [NBS / "index.ipynb"] + pages
    mods = []
    for p in pages:
        nb = read(p)
        mods += [module_of(nb)] if module_of(nb) else []
        nb["cells"] = [c for c in map(staged_cell, nb["cells"]) if c is not None]
        nb["metadata"] = {"kernelspec": {"name": "python3", "display_name": "Python 3", "language": "python"},
                          "language_info": {"name": "python"}}
        if p.stem == "index":
            toc = [q.stem for q in pages if q.stem != "index"] + ["api"]
            nb["cells"].append({"cell_type": "markdown", "metadata": {}, "id": "toc",
                                "source": "```{toctree}\n:hidden:\n:maxdepth: 1\n\n" + "\n".join(toc) + "\n```"})
        (dest / p.name).write_text(json.dumps(nb))
    body = "\n\n".join(f"## `bigs_nb.{m}`\n\n```{{eval-rst}}\n.. automodule:: bigs_nb.{m}\n```" for m in mods)
    (dest / "api.md").write_text(API_PAGE.format(body=body))


def cmd_docs(args) -> int:
    t0, stage, out = time.time(), ROOT / "_proc" / "docs", ROOT / "_docs"
    stage_docs(stage, args.chapters)
    if out.exists(): shutil.rmtree(out)
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-q", "-b", "html", str(stage), str(out)]
    if args.chapters:     # a partial site: links to the chapters left out have no target, by design
        cmd[3:3] = ["-D", "suppress_warnings=misc.highlighting_failure,myst.xref_missing"]
    rc = subprocess.run(cmd, cwd=ROOT).returncode
    shutil.rmtree(ROOT / "jupyter_execute", ignore_errors=True)     # myst-nb's copies of the notebooks
    if rc: return rc
    page = chapters(args.chapters)[-1].stem if args.chapters else "index"
    print(f"book docs: built {out} in {time.time() - t0:.0f} s (open {out / page}.html)")
    return 0


def main(argv=None) -> int:
    p = argparse.ArgumentParser(prog="book", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = p.add_subparsers(dest="cmd", required=True)
    for name in ("run", "unrun", "docs", "tidy", "numbers"):
        s = sub.add_parser(name)
        s.add_argument("chapters", nargs="*", help="chapter file names or numbers (default: the whole book)")
        if name == "run": s.add_argument("--timeout", type=int, default=1800, help="seconds allowed per cell")
    sub.add_parser("check")
    sub.add_parser("imports")
    sub.add_parser("readme")
    sub.add_parser("selftest")
    args = p.parse_args(argv)
    return {"run": cmd_run, "unrun": cmd_unrun, "check": cmd_check, "selftest": cmd_selftest,
            "docs": cmd_docs, "readme": cmd_readme, "numbers": cmd_numbers, "imports": cmd_imports,
            "tidy": cmd_tidy}[args.cmd](args)


if __name__ == "__main__":
    sys.exit(main())
