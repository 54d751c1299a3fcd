"""The ``mirmodules`` command: ``run``, ``simulate``, ``demo``.

Flags are the Python parameter names with dashes (``--max-epochs`` sets ``max_epochs``). Errors in
the input end with one message on stderr and exit code 2.
"""

from __future__ import annotations

import argparse
import dataclasses
import logging
import re
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import nullcontext
from pathlib import Path
from typing import Any, NoReturn

from mirmodules.config import EvaluationOptions, MicaConfig
from mirmodules.exceptions import InputDataError, MirmodulesError

logger = logging.getLogger("mirmodules.cli")


def _type_of(f: dataclasses.Field) -> Any:
    text = str(f.type)
    if text.startswith("int"):
        return int
    if text.startswith("float"):
        return float
    if text.startswith("bool"):
        return None
    return str


def _add_dataclass_options(parser: argparse.ArgumentParser, cls: type, *, skip: set[str]) -> None:
    groups: dict[str, argparse._ArgumentGroup] = {}
    for f in dataclasses.fields(cls):
        if f.name in skip:
            continue
        group_name = f.metadata.get("group", "options")
        group = groups.setdefault(group_name, parser.add_argument_group(group_name))
        flag = "--" + f.name.replace("_", "-")
        default = f.default
        help_text = f.metadata.get("help", "")
        if default is not None:  # None: the help says what happens without the option
            help_text += f" (default: {default})"
        if isinstance(default, tuple) or str(f.type).startswith("tuple"):
            group.add_argument(
                flag, type=int, nargs=2, default=None,
                metavar=("LOW", "HIGH") if f.name.endswith("per_module") else ("FIRST", "SECOND"),
                help=help_text
            )
            continue
        group.add_argument(
            flag, type=_type_of(f), default=None, choices=f.metadata.get("choices"), help=help_text
        )


def _collect(args: argparse.Namespace, cls: type) -> dict[str, Any]:
    out = {}
    for f in dataclasses.fields(cls):
        value = getattr(args, f.name, None)
        if value is not None:
            is_tuple = isinstance(f.default, tuple) or str(f.type).startswith("tuple")
            out[f.name] = tuple(value) if is_tuple else value
    return out


def _add_input_files(group: argparse._ArgumentGroup) -> None:
    """The expression, interaction and miRBase file options shared by run, compare and stability."""
    group.add_argument("--mirna", required=True, help="miRNA expression (TSV/CSV, gz ok)")
    group.add_argument("--mrna", required=True, help="mRNA expression (TSV/CSV, gz ok)")
    group.add_argument(
        "--interactions", required=True,
        help="miRNA-target interactions: mirna,target or miRTarBase columns; or a reference name "
        "(mirtarbase; see mirmodules data list)"
    )
    group.add_argument(
        "--mirbase",
        nargs="+",
        default=[],
        metavar="FILE",
        help="miRBase/TargetScan tables for miRNA id harmonisation",
    )
    group.add_argument(
        "--gene-map",
        default=None,
        metavar="FILE",
        help="table mapping the mRNA ids (Ensembl, versioned or not; Entrez; HGNC; old symbols) to "
        "the interaction table's symbols: a 'symbol' column plus id columns (e.g. an HGNC download)",
    )
    group.add_argument(
        "--predicted",
        nargs="+",
        default=[],
        metavar="FILE",
        help="predicted miRNA-target tables (mirna, target, score; e.g. TargetScan, or the reference "
        "name targetscan_predicted): a predicted pair may add a module member when expression supports "
        "it (MICA; --predicted-score, --predicted-min-mirnas ...); off by default",
    )


class _OneLineErrors(argparse.ArgumentParser):
    """An argument parser whose errors are one line (with where to find the options) and exit
    code 2, like every other error of the command line; argparse's own prints the whole usage."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (exposed for documentation and tests)."""
    from mirmodules import __version__
    from mirmodules.config import SimulationParameters

    parser = _OneLineErrors(
        prog="mirmodules",
        description="Find microRNA regulatory modules (MICA) in matched miRNA/mRNA expression.",
    )
    parser.add_argument("--version", action="version", version=f"mirmodules {__version__}")
    parser.add_argument("-v", "--verbose", action="count", default=0, help="more log output (-vv for debug)")
    parser.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    parser.add_argument("--debug", action="store_true", help="show Python tracebacks of errors")
    parser.add_argument("--log-file", metavar="PATH",
                        help="also write the log (INFO progress lines with ETA) to this file")
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser(
        "run",
        help="run MICA on expression + interaction files",
        description="Run MICA: autoencoder codes, K-means (K = sqrt(n) by default, the "
        "paper's elbow rule with --preset paper), modules from cluster pairs joined by interactions.",
    )
    files = run.add_argument_group("files")
    _add_input_files(files)
    files.add_argument("--out", required=True, help="run directory to create")
    files.add_argument(
        "--significance",
        type=int,
        default=0,
        metavar="N",
        help="also test every module against N rewired networks and N expression shuffles "
        "(significance.tsv; default 0: off)",
    )
    files.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")
    _add_dataclass_options(run, MicaConfig, skip=set())

    sim = sub.add_parser("simulate", help="write a simulated cohort with planted modules")
    sim.add_argument("--out", required=True, help="folder for the cohort's files")
    sim.add_argument("--overwrite", action="store_true",
                     help="replace an existing --out folder that mirmodules wrote")
    _add_dataclass_options(sim, SimulationParameters, skip=set())

    ev = sub.add_parser(
        "evaluate",
        help="score a run's modules: topology, families, GO/KEGG, survival; write tables and report.html",
        description="Evaluate the modules of a run directory the way the MICA paper does "
        "and write tidy tables and a self-contained report.html.",
    )
    ev.add_argument(
        "run_dir",
        help="run directory written by `mirmodules run` (or a folder with a modules.tsv and a manifest.json)",
    )
    ev_files = ev.add_argument_group("annotation files")
    ev_files.add_argument(
        "--families",
        help="miRNA families: miRBase miFam, TargetScan miR_Family_Info or a 'mirna, family' table",
    )
    ev_files.add_argument(
        "--gene-sets",
        nargs="+",
        default=[],
        metavar="GMT",
        help="gene-set collections (GMT, gz ok), e.g. GO BP and KEGG",
    )
    ev_files.add_argument("--clinical", help="survival table (sample, os_time_days, os_event)")
    ev_files.add_argument("--clinical-sample-column", default="sample", help="(default: sample)")
    ev_files.add_argument("--clinical-time-column", default="os_time_days", help="(default: os_time_days)")
    ev_files.add_argument("--clinical-event-column", default="os_event", help="(default: os_event)")
    ev_inputs = ev.add_argument_group("run inputs (default: the paths in the run's manifest)")
    ev_inputs.add_argument("--mirna", help="miRNA expression file of the run")
    ev_inputs.add_argument("--mrna", help="mRNA expression file of the run")
    ev_inputs.add_argument("--interactions", help="interaction file of the run")
    ev_inputs.add_argument(
        "--mirbase", nargs="+", default=None, metavar="FILE", help="miRBase tables of the run"
    )
    ev.add_argument("--out", required=True, help="folder for the tables and report.html")
    ev.add_argument("--overwrite", action="store_true",
                    help="replace an existing --out folder that mirmodules wrote")
    ev.add_argument("--allow-changed-inputs", action="store_true",
                    help="evaluate even when an input file's SHA-256 differs from the run's manifest "
                    "(recorded in evaluation.json)")
    ev.add_argument(
        "--max-module-sections",
        type=int,
        default=20,
        help="modules with a detail section in the report (default: 20)",
    )
    _add_dataclass_options(ev, EvaluationOptions, skip=set())

    cmp_ = sub.add_parser(
        "compare",
        help="run several methods on one dataset and compare them (Table 1)",
        description="Run MICA, its ablations and the baselines on the same prepared inputs, "
        "score them with the same evaluator and write comparison.tsv and "
        "report.html.",
    )
    cmp_files = cmp_.add_argument_group("files")
    _add_input_files(cmp_files)
    cmp_files.add_argument(
        "--methods",
        default="mica,kmeans_raw,kmeans_pca,mirsynergy,dicore,demine",
        help="comma-separated methods or 'all' (default: all six)",
    )
    cmp_files.add_argument(
        "--runs", nargs="+", default=[], metavar="DIR",
        help="finished `mirmodules run` folders to evaluate next to --methods (use --methods none "
        "for runs only); their recorded input SHA-256 must match these inputs",
    )
    cmp_files.add_argument("--allow-changed-inputs", action="store_true",
                           help="compare a run whose inputs changed since (recorded in the manifest)")
    cmp_files.add_argument("--families", help="miRNA families (as for evaluate)")
    cmp_files.add_argument("--gene-sets", nargs="+", default=[], metavar="GMT", help="gene-set collections")
    cmp_files.add_argument("--clinical", help="survival table (sample, os_time_days, os_event)")
    cmp_files.add_argument(
        "--truth", help="planted modules (modules.tsv format, e.g. a simulator's truth.tsv)"
    )
    cmp_files.add_argument(
        "--gene-network", help="gene-gene edges for Mirsynergy's H (gene1, gene2[, weight])"
    )
    cmp_files.add_argument("--out", required=True, help="folder for comparison.tsv, methods/ and report.html")
    cmp_files.add_argument("--overwrite", action="store_true",
                           help="replace an existing --out folder that mirmodules wrote")
    _add_dataclass_options(cmp_, MicaConfig, skip=set())
    _add_dataclass_options(cmp_, EvaluationOptions, skip=set())

    stab = sub.add_parser(
        "stability",
        help="rerun a method over seeds, bootstraps and sample orders; stability, consensus modules",
        description="Rerun a method over seeds, bootstrap resamples of the samples and (for MICA) "
        "sample-order permutations; report how each module reappears, one stability score, "
        "co-membership frequencies and consensus modules.",
    )
    stab_files = stab.add_argument_group("files")
    _add_input_files(stab_files)
    stab_files.add_argument("--out", required=True, help="folder for the stability tables and consensus/")
    stab_files.add_argument("--overwrite", action="store_true",
                            help="replace an existing --out folder that mirmodules wrote")
    stab_runs = stab.add_argument_group("reruns")
    stab_runs.add_argument("--method", default="mica", help="registered method (default: mica)")
    stab_runs.add_argument("--n-seeds", type=int, default=5, help="reruns with other seeds (default: 5)")
    stab_runs.add_argument("--n-bootstraps", type=int, default=5, help="bootstrap resamples (default: 5)")
    stab_runs.add_argument(
        "--n-orders",
        type=int,
        default=None,
        help="sample-order permutations (default: 5 for mica, 0 otherwise)",
    )
    stab_runs.add_argument(
        "--match-threshold",
        type=float,
        default=0.5,
        help="best-match Jaccard at which a module counts as reappearing (default: 0.5)",
    )
    stab_runs.add_argument(
        "--consensus-frequency",
        type=float,
        default=0.5,
        help="share of the runs that must hold a matched module, and each of its members, for a "
        "consensus module (default: 0.5)",
    )
    _add_dataclass_options(stab, MicaConfig, skip=set())

    batch = sub.add_parser(
        "batch",
        help="run a plan of cohorts x methods x seeds x bootstraps on a Dask cluster",
        description="Run every task of a plan (TOML/YAML) on Dask: a local cluster by default, or an "
        "existing scheduler. Finished tasks are reused, failures are reported, progress spans the batch. "
        "Needs the optional extra: pip install 'mirmodules[dask]'.",
    )
    batch.add_argument("plan", help="plan file (.toml, or .yaml with PyYAML)")
    batch.add_argument("--out", required=True, help="batch output folder (reused to resume)")
    batch.add_argument(
        "--workers", type=int, default=None, help="local worker processes (default: one per core)"
    )
    batch.add_argument(
        "--scheduler", default=None, help="address of a running scheduler, e.g. tcp://host:8786"
    )

    ann = sub.add_parser(
        "annotate",
        help="write a copy of a run's .h5ad/.h5mu input with its modules and module activity",
        description="Write a copy of the AnnData/MuData file a run read, with per-sample module "
        "activity in obsm['mirmodules_activity'] and each feature's modules in "
        "var['mirmodules_modules']. The input is never modified.",
    )
    ann.add_argument("run_dir", help="a folder written by `mirmodules run` from an .h5ad/.h5mu input")
    ann.add_argument("--out", required=True, help="the new .h5mu/.h5ad file (must not exist)")

    data = sub.add_parser(
        "data",
        help="reference data by name (miRTarBase, miRBase, TargetScan, HGNC, GO, KEGG): list, fetch; "
        "GDC/TCGA cohorts: assemble, tcga",
        description="Download pinned releases of reference data into a user cache (MIRMODULES_DATA_DIR, "
        "else the platform's cache folder) and convert them to tables; afterwards the name works in "
        "place of a path: --interactions mirtarbase, --mirbase mirbase_mature, --gene-map hgnc, "
        "--families targetscan_families, --gene-sets go_bp kegg. MIRMODULES_OFFLINE=1 (or --offline) "
        "never touches the network. `data assemble` and `data tcga` turn GDC downloads (STAR counts, "
        "miRNA isoform files) into the inputs of `mirmodules run`.",
    )
    data_sub = data.add_subparsers(dest="data_command", required=True)
    data_list = data_sub.add_parser("list", help="every reference: version, role, cached, checksum")
    data_fetch = data_sub.add_parser("fetch", help="download and convert references (cached ones checked)")
    data_fetch.add_argument("names", nargs="+", metavar="NAME", help="reference names (mirmodules data list)")
    for p in (data_list, data_fetch):
        p.add_argument("--cache", default=None, metavar="DIR",
                       help="cache folder (default: MIRMODULES_DATA_DIR or the platform's user cache)")
    data_fetch.add_argument("--offline", action="store_true", default=None,
                            help="use the cache only; fail if a reference is not in it")
    data_assemble = data_sub.add_parser(
        "assemble", help="GDC sample sheet + downloaded files -> mrna/mirna/clinical tables for `run`",
        description="Assemble GDC downloads (STAR gene counts, miRNA isoform quantification) into "
        "mrna.tsv.gz, mirna.tsv.gz, gene_map.tsv, clinical.tsv (with --clinical), samples.tsv (every "
        "file's fate) and manifest.json: one primary tumour sample per patient (docs: From the GDC to a "
        "report).",
    )
    data_assemble.add_argument("--sample-sheet", required=True, metavar="FILE",
                               help="the GDC portal's sample sheet (TSV) of the downloaded files")
    data_assemble.add_argument("--files", required=True, metavar="DIR",
                               help="folder of the downloads (flat, or one sub-folder per file id)")
    data_assemble.add_argument("--clinical", default=None, metavar="FILE",
                               help="GDC clinical.tsv (or the cases JSON) for clinical.tsv (survival)")
    data_tcga = data_sub.add_parser(
        "tcga", help="query the GDC for a project (TCGA-BRCA), download (resumable, MD5-checked), assemble",
        description="Query the GDC API (MIRMODULES_GDC_API overrides its address) for the project's open "
        "STAR gene counts, miRNA isoform files and clinical data, download the files the sample rules "
        "choose into the data cache (resumed when cut, MD5-checked) and assemble them as `data assemble`.",
    )
    data_tcga.add_argument("project", metavar="PROJECT", help="GDC project id, e.g. TCGA-BRCA")
    data_tcga.add_argument("--max-files", type=int, default=None, metavar="N",
                           help="download and read at most N files (whole patients, in barcode order)")
    data_tcga.add_argument("--cache", default=None, metavar="DIR",
                           help="cache folder (default: MIRMODULES_DATA_DIR or the platform's user cache)")
    data_tcga.add_argument("--offline", action="store_true", default=None,
                           help="use the cache only (metadata and files); fail if something is not in it")
    for p in (data_assemble, data_tcga):
        p.add_argument("--out", required=True, metavar="DIR", help="output folder to create")
        p.add_argument("--gene-types", default="protein_coding",
                       help="GENCODE gene types kept: protein_coding (default), all, or a comma list")
        p.add_argument("--sample-types", default="01,03,09", metavar="CODES",
                       help="GDC sample type codes used, in order of preference (default 01,03,09: primary "
                       "tumour; e.g. 01,06 adds metastases)")
        p.add_argument("--overwrite", action="store_true", help="replace an existing --out folder")

    demo = sub.add_parser("demo", help="simulate a cohort, run MICA on it, report recovery")
    demo.add_argument("--out", required=True, help="folder for data/ and run/")
    demo.add_argument("--seed", type=int, default=0, help="seed of simulation and run (default: 0)")
    demo.add_argument("--overwrite", action="store_true", help="replace an existing run folder")
    # --log-file also after the subcommand (mirmodules run ... --log-file run.log), where users put it
    for subparsers in (sub, data_sub):
        for name, subparser in subparsers.choices.items():
            if name != "data":
                subparser.add_argument("--log-file", metavar="PATH", default=argparse.SUPPRESS,
                                       help="also write the log to this file (as before the subcommand)")
    return parser


_LOG_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} (?:DEBUG|INFO|WARNING|ERROR|CRITICAL) ")


def _existing_paths(args: argparse.Namespace) -> Iterator[tuple[str, str, Path]]:
    """(option, value, path) for every value of the command line that names an existing path
    (inputs, run folders, plans; ``FILE.h5mu::modality`` names FILE), ``--log-file`` aside."""
    for key, value in vars(args).items():
        if key == "log_file":
            continue
        for item in value if isinstance(value, list) else [value]:
            if isinstance(item, str) and item:
                candidate = Path(item.split("::", 1)[0]).expanduser()
                if candidate.exists():
                    yield key, item, candidate


def _refuse_special_files(args: argparse.Namespace) -> None:
    """Pipes, sockets and devices among the paths of the command line are refused up front: a
    pipe with no writer would hang, and a process substitution ``<(...)`` can be read only once."""
    for key, item, candidate in _existing_paths(args):
        if not (candidate.is_file() or candidate.is_dir()):
            flag = "--" + key.replace("_", "-")
            msg = (f"{flag} {item} is not a regular file (a pipe, socket or device, e.g. a process "
                   "substitution <(...)); mirmodules reads inputs more than once. Save it to a "
                   "file first.")
            raise InputDataError(msg)


def check_log_file(log_file: str, args: argparse.Namespace) -> Path:
    """Refuse a ``--log-file`` that would damage something: an input or any file the command line
    names, a file that is not a mirmodules log, a folder, a pipe or device, a path inside ``--out``
    (replaced as a whole), or a path in a folder that does not exist."""
    given = Path(log_file).expanduser()
    path = given.resolve()
    if path.is_dir():
        msg = f"--log-file {log_file} is a folder; give a file name, e.g. --log-file run.log."
        raise InputDataError(msg)
    if path.exists() and not path.is_file():
        msg = f"--log-file {log_file} is not a regular file (a pipe or device); give a file name."
        raise InputDataError(msg)
    from mirmodules.store.atomic import is_within

    out = getattr(args, "out", None)
    if out and is_within(path, Path(out).expanduser().resolve()):
        msg = (f"--log-file {log_file} lies inside --out {out}, which mirmodules replaces as a whole; "
               "give a log file outside it.")
        raise InputDataError(msg)
    for _, _, candidate in _existing_paths(args):
        named = candidate.resolve()
        if is_within(path, named):
            msg = (f"--log-file {log_file} is (or lies inside) {named}, which the command reads or "
                   "replaces; give a log file elsewhere.")
            raise InputDataError(msg)
    if not path.parent.is_dir():
        msg = (f"--log-file {log_file}: the folder {path.parent} does not exist; create it first or "
               "give a file in an existing folder.")
        raise InputDataError(msg)
    if path.is_file() and path.stat().st_size:
        with path.open("rb") as handle:
            first = handle.readline(4096).decode("utf-8", "replace")
        if not _LOG_LINE.match(first):
            msg = (f"--log-file {log_file} exists and is not a mirmodules log (its first line is "
                   f"{first.strip()[:60]!r}); mirmodules appends only to its own logs. Give a new file name.")
            raise InputDataError(msg)
    return path


def _setup_logging(
    verbose: int, *, quiet: bool, log_file: str | Path | None = None
) -> list[logging.Handler]:
    """Handlers for stderr (and ``log_file``) on the package's logger (Python warnings reach it
    through :mod:`mirmodules._warnings_log`); returns them, for :func:`main` to remove (and close)
    at the end, so that a command called from Python leaves no handler on a stream behind."""
    level = logging.WARNING if quiet else (logging.DEBUG if verbose > 1 else logging.INFO)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(message)s", "%H:%M:%S"))
    handler.setLevel(level)
    root = logging.getLogger("mirmodules")
    root.handlers = [h for h in root.handlers if isinstance(h, logging.NullHandler)]
    root.addHandler(handler)
    root.setLevel(level)
    if log_file:
        # the file gets INFO progress lines (epochs, K values, ETA) even when the terminal is quiet
        file_handler = logging.FileHandler(log_file, encoding="utf-8")
        file_handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s %(message)s"))
        file_handler.setLevel(min(level, logging.INFO))
        root.addHandler(file_handler)
        root.setLevel(min(level, logging.INFO))
        return [handler, file_handler]
    return [handler]


def _input_paths(args: argparse.Namespace) -> list[str]:
    return [p for p in (args.mirna, args.mrna, args.interactions, *args.mirbase,
                        getattr(args, "gene_map", None), *getattr(args, "predicted", [])) if p]


def _cmd_run(args: argparse.Namespace) -> int:
    from mirmodules.store.atomic import check_output_path
    from mirmodules.store.run_folder import save_result
    from mirmodules.workflows.run import run_from_files

    config = MicaConfig(**_collect(args, MicaConfig))
    config.validate()
    if args.significance < 0:
        msg = f"--significance must be 0 (off) or a number of null draws; got {args.significance}."
        raise InputDataError(msg)
    out = Path(args.out)
    check_output_path(out, overwrite=args.overwrite, inputs=_input_paths(args))
    result = run_from_files(
        args.mirna, args.mrna, args.interactions, mirbase_paths=args.mirbase,
        gene_map_path=args.gene_map, config=config, progress=True, predicted_paths=args.predicted,
    )
    extra = {}
    if args.significance:
        from mirmodules.evaluation.perturbation import module_significance

        extra["significance.tsv"] = module_significance(
            result.modules, result.prepared, n_null=args.significance, seed=config.seed
        )
    save_result(result, out, overwrite=args.overwrite, extra_tables=extra)
    _print_run_summary(result, out)
    if args.significance:
        table = extra["significance.tsv"]
        both = int(((table["q_rewired"] < 0.05) & (table["q_shuffled"] < 0.05)).sum())
        print(
            f"  significance ({args.significance} nulls each): {both} of {len(table)} modules at q < 0.05 "
            f"against both rewired interactions and shuffled expression ({out / 'significance.tsv'})"
        )
    return 0


def _print_run_summary(result: Any, out: Path) -> None:
    summary = result.modules.summary()
    clus = result.manifest["clustering"]
    secs = result.manifest["seconds"]
    print(f"MICA: {result.modules.n_modules} modules written to {out}")
    if len(summary):
        print(
            f"  mean miRNAs {summary['n_mirnas'].mean():.2f}, mean mRNAs "
            f"{summary['n_mrnas'].mean():.2f}, mean density {summary['density'].mean():.3f}"
        )
        if summary["confidence"].notna().any():
            full = int((summary["confidence"] >= 1.0 - 1e-9).sum())
            print(f"  confidence: {full} of {len(summary)} modules came back in every internal rerun; "
                  f"lowest {summary['confidence'].min():.2f} (module_summary.tsv, --min-confidence)")
    predicted = result.manifest.get("predicted")
    if predicted:
        print(f"  predicted targets: {predicted['genes_admitted']} mRNAs added to "
              f"{predicted['modules_extended']} modules ({100 * predicted['admission_rate']:.1f}% of "
              f"{predicted['genes_considered']} candidates; genes without a prediction pass the same "
              f"expression support at {100 * predicted['control_rate_without_prediction']:.1f}%); "
              "why each was or was not admitted: predicted_candidates.tsv")
    dropped = result.manifest.get("min_confidence", {}).get("modules_dropped", 0)
    if dropped:
        print(f"  --min-confidence {result.manifest['min_confidence']['threshold']}: {dropped} module(s) "
              "below it left out (manifest.json: min_confidence)")
    print(
        f"  K: miRNAs {clus['mirna']['k']} ({clus['mirna']['rule']}), "
        f"mRNAs {clus['mrna']['k']} ({clus['mrna']['rule']})"
    )
    print(
        f"  {len(result.prepared.samples)} samples, {len(result.prepared.mirna)} miRNAs, "
        f"{len(result.prepared.mrna)} mRNAs, {len(result.prepared.interactions)} interactions used"
    )
    print("  seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in secs.items()))


def _cmd_evaluate(args: argparse.Namespace) -> int:
    from mirmodules.workflows.evaluate import evaluate_run

    options = EvaluationOptions(**_collect(args, EvaluationOptions))
    options.validate()
    evaluation, report = evaluate_run(
        args.run_dir,
        args.out,
        families=args.families,
        gene_sets=args.gene_sets,
        clinical=args.clinical,
        clinical_columns=(args.clinical_sample_column, args.clinical_time_column, args.clinical_event_column),
        mirna=args.mirna,
        mrna=args.mrna,
        interactions=args.interactions,
        mirbase=args.mirbase,
        options=options,
        max_module_sections=args.max_module_sections,
        progress=True,
        overwrite=args.overwrite,
        allow_changed_inputs=args.allow_changed_inputs,
    )
    _print_evaluation_summary(evaluation, report)
    return 0


def _print_evaluation_summary(evaluation: Any, report: Path) -> None:
    row = evaluation.summary().iloc[0]
    opts = evaluation.options
    print(f"Evaluation of {row['method']}: {int(row['n_modules'])} modules")
    if evaluation.family_enrichment is not None:
        print(f"  family-enriched modules (q < {opts.family_q}): {int(row['n_family_enriched'])}")
    if evaluation.term_enrichment is not None:
        print(
            f"  modules with an enriched GO/KEGG term (q < {opts.term_q}, >= {opts.min_term_overlap} "
            f"genes): {int(row['n_term_enriched'])} ({row['fraction_term_enriched']:.2f}), "
            f"mean terms per module {row['mean_enriched_terms']:.2f}; lenient (raw p < "
            f"{opts.term_p}): {int(row['n_term_enriched_lenient'])}"
        )
    if evaluation.survival is not None:
        print(
            f"  prognostic modules, cross-validated (log-rank p < {opts.survival_p}): "
            f"{int(row['n_cv_prognostic'])} of {int(row['n_survival_tested'])} fitted (in-sample, the "
            f"paper's optimistic criterion: {int(row['n_prognostic_in_sample'])})"
        )
    print(f"  modules to follow up first: {report.parent / 'follow_up.tsv'}")
    print(f"  report: {report} ({report.stat().st_size / 1024:.0f} kB); tables in {report.parent}")


def _cmd_compare(args: argparse.Namespace) -> int:
    from mirmodules.evaluation.survival import read_clinical
    from mirmodules.inputs.annotations import read_families, read_gene_sets
    from mirmodules.inputs.io import read_table
    from mirmodules.inputs.prepared import input_record, prepare_from_files
    from mirmodules.store.atomic import check_output_path
    from mirmodules.store.run_folder import read_modules
    from mirmodules.workflows.compare import (
        compare_methods,
        load_finished_run,
        parse_methods,
        save_comparison,
    )

    methods = parse_methods(args.methods)
    if not methods and not args.runs:
        msg = "--methods none needs at least one --runs folder; nothing to compare."
        raise InputDataError(msg)
    config = MicaConfig(**_collect(args, MicaConfig))
    options = EvaluationOptions(**_collect(args, EvaluationOptions))
    options.validate()
    extra_inputs = [p for p in (args.families, args.clinical, args.truth, args.gene_network) if p]
    check_output_path(args.out, overwrite=args.overwrite,
                      inputs=[*_input_paths(args), *extra_inputs, *args.gene_sets, *args.runs])
    finished = [
        load_finished_run(run_dir, {"mirna": args.mirna, "mrna": args.mrna,
                                    "interactions": args.interactions, "gene_map": args.gene_map},
                          mirbase_paths=args.mirbase, allow_changed_inputs=args.allow_changed_inputs)
        for run_dir in args.runs
    ]
    prepared, name_map, _ = prepare_from_files(
        args.mirna, args.mrna, args.interactions, mirbase_paths=args.mirbase,
        gene_map_path=args.gene_map, config=config, predicted_paths=args.predicted,
    )
    families = (
        read_families(args.families, name_map=name_map, species=config.species) if args.families else None
    )
    gene_sets = [read_gene_sets(p) for p in args.gene_sets]
    clinical = read_clinical(args.clinical) if args.clinical else None
    truth = read_modules(args.truth) if args.truth else None
    parameters: dict[str, dict[str, Any]] = {}
    if args.gene_network:
        parameters["mirsynergy"] = {
            "gene_network": read_table(args.gene_network, what="Gene network", dtype=None)
        }
    comparison = compare_methods(
        prepared,
        methods,
        seed=config.seed,
        config=config,
        families=families,
        gene_sets=gene_sets,
        clinical=clinical,
        truth=truth,
        options=options,
        method_parameters=parameters,
        runs=finished,
        progress=True,
    )
    files = [*_input_paths(args), *extra_inputs, *args.gene_sets]
    from mirmodules import __version__
    from mirmodules._versions import package_versions

    manifest = {
        "command": "compare",
        "mirmodules": __version__,
        "parameters": config.to_dict(),
        "evaluation": dataclasses.asdict(options),
        "versions": package_versions(),
        "inputs": [input_record(p) for p in files],
        "counts": prepared.counts,
    }
    report = save_comparison(comparison, args.out, manifest=manifest, mirna_expression=prepared.mirna,
                             overwrite=args.overwrite)
    shown = comparison.table.drop(
        columns=[c for c in comparison.table.columns if comparison.table[c].isna().all()]
    )
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}"))
    print(f"comparison written to {Path(args.out) / 'comparison.tsv'}; report {report}")
    return 0


def _cmd_stability(args: argparse.Namespace) -> int:
    from mirmodules.inputs.prepared import input_records, prepare_from_files
    from mirmodules.methods.registry import method_spec
    from mirmodules.store.atomic import check_output_path
    from mirmodules.workflows.stability import save_stability, stability

    method_spec(args.method)  # an unknown method fails before the inputs are read
    config = MicaConfig(**_collect(args, MicaConfig))
    config.validate()
    check_output_path(args.out, overwrite=args.overwrite, inputs=_input_paths(args))
    prepared, _, _ = prepare_from_files(
        args.mirna, args.mrna, args.interactions, mirbase_paths=args.mirbase,
        gene_map_path=args.gene_map, config=config, predicted_paths=args.predicted,
    )
    n_orders = args.n_orders if args.n_orders is not None else (5 if args.method == "mica" else 0)
    result = stability(
        prepared,
        args.method,
        seed=config.seed,
        n_seeds=args.n_seeds,
        n_bootstraps=args.n_bootstraps,
        n_orders=n_orders,
        match_threshold=args.match_threshold,
        config=config,
        progress=True,
    )
    out = Path(args.out)
    manifest = {
        "parameters": config.to_dict(),
        "inputs": input_records(args.mirna, args.mrna, args.interactions, args.mirbase, args.gene_map,
                                args.predicted),
    }
    consensus = save_stability(
        result,
        out,
        interactions=prepared.interactions,
        consensus_frequency=args.consensus_frequency,
        manifest=manifest,
        overwrite=args.overwrite,
    )
    reappearing = int((result.per_module["reappearance"] >= 0.5).sum())
    print(
        f"{args.method}: stability score {result.score:.3f} over {len(result.runs)} reruns; "
        f"{reappearing} of {result.reference.n_modules} modules reappear in at least half of them; "
        f"{consensus.n_modules} consensus modules; tables in {out}"
    )
    return 0


def _cmd_batch(args: argparse.Namespace) -> int:
    from mirmodules.workflows.batch import load_plan, run_batch

    if args.workers is not None and not 1 <= args.workers <= 1024:
        msg = f"--workers must be a number of worker processes from 1 to 1024; got {args.workers}."
        raise InputDataError(msg)

    plan = load_plan(args.plan)
    start = time.perf_counter()
    summary = run_batch(plan, args.out, workers=args.workers, scheduler=args.scheduler, progress=True)
    counts = summary["status"].value_counts().to_dict()
    print(
        f"batch of {len(summary)} tasks in {time.perf_counter() - start:.1f} s: "
        + ", ".join(f"{v} {k}" for k, v in sorted(counts.items()))
    )
    for row in summary[summary["status"] == "failed"].itertuples(index=False):
        print(f"  failed {row.task}: {row.error}")
    print(f"summary: {Path(args.out) / 'batch_summary.tsv'}")
    return 1 if counts.get("failed") else 0


def _cmd_simulate(args: argparse.Namespace) -> int:
    from mirmodules.inputs.simulate import SimulationParameters, simulate_cohort
    from mirmodules.store.atomic import atomic_output, check_output_path

    params = SimulationParameters(**_collect(args, SimulationParameters))
    check_output_path(args.out, overwrite=args.overwrite)
    cohort = simulate_cohort(params)
    with atomic_output(args.out, command="simulate", overwrite=args.overwrite) as tmp:
        cohort.write(tmp)
    paths = cohort.write_paths(args.out)
    print(
        f"simulated cohort ({params.n_samples} samples, {params.n_mirnas} miRNAs, "
        f"{params.n_mrnas} mRNAs, {params.n_modules} planted modules) written to {args.out}:"
    )
    for name, path in paths.items():
        print(f"  {name}: {path}")
    return 0


def _cmd_annotate(args: argparse.Namespace) -> int:
    from mirmodules.inputs.anndata_io import annotate_mudata

    out = annotate_mudata(args.run_dir, args.out)
    print(f"annotated copy written to {out}")
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from mirmodules.evaluation.recovery import best_match_jaccard, recovery_scores
    from mirmodules.inputs.simulate import simulate_cohort
    from mirmodules.store.atomic import atomic_output, check_output_path, mark_output_folder
    from mirmodules.store.run_folder import save_result
    from mirmodules.workflows.run import run_from_files

    out = Path(args.out)
    run_dir = out / "run"
    check_output_path(out, overwrite=args.overwrite)
    start = time.perf_counter()
    # the demo folder is ours: its parts (data, run, evaluation) are each replaced atomically
    mark_output_folder(out, command="demo")
    cohort = simulate_cohort(seed=args.seed)
    with atomic_output(out / "data", command="simulate", overwrite=True) as tmp:
        cohort.write(tmp)
    paths = cohort.write_paths(out / "data")
    result = run_from_files(
        paths["mirna"], paths["mrna"], paths["interactions"], config=MicaConfig(seed=args.seed), progress=True
    )
    table = best_match_jaccard(cohort.truth, result.modules)
    save_result(result, run_dir, overwrite=True, extra_tables={"recovery.tsv": table})
    scores = recovery_scores(cohort.truth, result.modules)
    _print_run_summary(result, run_dir)
    print(
        f"Planted-module recovery: mean best-match Jaccard {scores['recovery']:.3f} over "
        f"{int(scores['n_truth'])} planted modules; {int(scores['n_found'])} modules found "
        f"(mean best-match Jaccard of found modules to planted ones: {scores['relevance']:.3f})."
    )
    for row in table.itertuples(index=False):
        print(f"  {row.module_id}: best match {row.best_match or '-'} (Jaccard {row.jaccard:.3f})")
    from mirmodules.workflows.evaluate import evaluate_run

    evaluation, report = evaluate_run(
        run_dir,
        out / "evaluation",
        families=paths["families"],
        gene_sets=[paths["gene_sets"]],
        clinical=paths["clinical"],
        options=EvaluationOptions(),
        progress=True,
        overwrite=True,
    )
    _print_evaluation_summary(evaluation, report)
    print(
        f"demo finished in {time.perf_counter() - start:.1f} s; data in {out / 'data'}, "
        f"results in {run_dir}, report in {report}"
    )
    return 0


def _cmd_data(args: argparse.Namespace) -> int:
    from mirmodules.inputs.reference import cache_dir, fetch, list_references

    if args.data_command in ("assemble", "tcga"):
        from mirmodules.inputs.gdc import assemble_from_folder, summary_lines
        from mirmodules.store.atomic import check_output_path
        from mirmodules.store.cohort_folder import save_cohort

        types = [t.strip() for t in args.sample_types.split(",") if t.strip()]
        command = ["mirmodules", "data", args.data_command]
        if args.data_command == "assemble":
            inputs = {"sample_sheet": args.sample_sheet, "files": args.files, "clinical": args.clinical}
            check_output_path(args.out, overwrite=args.overwrite, inputs=[v for v in inputs.values() if v])
            cohort = assemble_from_folder(args.sample_sheet, args.files, gene_types=args.gene_types,
                                          sample_types=types, clinical=args.clinical,
                                          progress=not args.quiet)
            command += ["--sample-sheet", args.sample_sheet, "--files", args.files]
            command += ["--clinical", args.clinical] if args.clinical else []
            source: dict[str, Any] = {}
        else:
            from mirmodules.inputs.gdc_api import tcga_cohort

            inputs = {}
            check_output_path(args.out, overwrite=args.overwrite)
            cohort, source = tcga_cohort(args.project, cache=args.cache, offline=args.offline,
                                         max_files=args.max_files, gene_types=args.gene_types,
                                         sample_types=types, progress=not args.quiet)
            command += [args.project] + (["--max-files", str(args.max_files)] if args.max_files else [])
            command += ["--offline"] if args.offline else []
        command += ["--out", args.out, "--gene-types", args.gene_types, "--sample-types", args.sample_types]
        out = save_cohort(cohort, args.out, command=command, inputs=inputs, source=source,
                          overwrite=args.overwrite)
        print("\n".join(summary_lines(cohort, out)))
        return 0
    if args.data_command == "list":
        table = list_references(args.cache)
        print(table[["name", "version", "option", "cached", "checksum", "title"]].to_string(index=False))
        print(f"cache: {cache_dir(args.cache)}")
        return 0
    for name in args.names:
        print(f"{name}\t{fetch(name, cache=args.cache, offline=args.offline, progress=sys.stderr.isatty())}")
    return 0


def _resolve_references(args: argparse.Namespace) -> None:
    """Replace reference names (``--interactions mirtarbase``) by the cached tables' paths; every
    option of :data:`~mirmodules.inputs.reference.ROLES` takes a path or a name."""
    from mirmodules.inputs.reference import ROLES, resolve

    for role in ROLES:  # the role is the option's attribute name
        value = getattr(args, role, None)
        if isinstance(value, str):
            setattr(args, role, resolve(value, role))
        elif isinstance(value, list):
            setattr(args, role, [resolve(v, role) for v in value])


def _named_by_flag(message: str, parser: argparse.ArgumentParser, command: str) -> str:
    """``The 'k_max' parameter`` → ``The 'k_max' parameter (--k-max)``: a setting's check names the
    Python field; on the command line the user typed the flag.

    >>> _named_by_flag("The 'k_max' parameter must be ...", build_parser(), "run")
    "The 'k_max' parameter (--k-max) must be ..."
    """
    import re

    flags: dict[str, str] = {}
    for action in parser._actions:  # the subcommand's parser holds the options
        if isinstance(action, argparse._SubParsersAction) and command in action.choices:
            for option in action.choices[command]._actions:
                long = [o for o in option.option_strings if o.startswith("--")]
                if long:
                    flags.setdefault(option.dest, long[0])

    def add_flag(match: re.Match[str]) -> str:
        flag = flags.get(match.group(1))
        return f"{match.group(0)} ({flag})" if flag else match.group(0)

    return re.sub(r"'(\w+)' parameter", add_flag, message)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``mirmodules`` command; returns the exit code.

    Expected failures (bad input, refused paths) are one line on stderr and exit code 2; system
    errors (disk full, permissions) one line and exit code 1; ``--debug`` shows tracebacks."""
    from mirmodules._warnings_log import collecting
    from mirmodules.store.atomic import output_lock

    parser = build_parser()
    args = parser.parse_args(argv)
    handlers = {
        "run": _cmd_run,
        "simulate": _cmd_simulate,
        "demo": _cmd_demo,
        "evaluate": _cmd_evaluate,
        "compare": _cmd_compare,
        "stability": _cmd_stability,
        "batch": _cmd_batch,
        "annotate": _cmd_annotate,
        "data": _cmd_data,
    }
    handlers_added: list[logging.Handler] = []
    try:
        _refuse_special_files(args)
        log_file = check_log_file(args.log_file, args) if args.log_file else None
        handlers_added = _setup_logging(args.verbose, quiet=args.quiet, log_file=log_file)
        if args.command != "data":
            _resolve_references(args)
        out = getattr(args, "out", None)
        with collecting(), output_lock(out) if out else nullcontext():
            return handlers[args.command](args)
    except InputDataError as err:
        if args.debug:
            raise
        print(f"mirmodules {args.command}: error: {_named_by_flag(str(err), parser, args.command)}",
              file=sys.stderr)
        return 2
    except OSError as err:
        # disk full, permission denied, not a directory...: the system's word, the path, no traceback
        if args.debug:
            raise
        where = f" ({err.filename})" if getattr(err, "filename", None) else ""
        reason = err.strerror or str(err) or type(err).__name__
        print(f"mirmodules {args.command}: system error: {reason}{where}. An existing --out folder keeps "
              "its previous content; fix the cause and run again (--debug shows the traceback).",
              file=sys.stderr)
        return 1
    except MirmodulesError as err:
        if args.debug:
            raise
        print(f"mirmodules {args.command}: error: {err}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(f"mirmodules {args.command}: interrupted; an existing --out folder keeps its previous "
              "content.", file=sys.stderr)
        return 130
    finally:
        for added in handlers_added:
            logging.getLogger("mirmodules").removeHandler(added)
            if isinstance(added, logging.FileHandler):
                added.close()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
