"""Many cohorts x methods x seeds x bootstraps on a Dask cluster (optional extra ``mirmodules[dask]``).

A plan (TOML, or YAML when PyYAML is installed) names the cohorts and what to run::

    methods = ["mica", "mirsynergy"]
    seeds = [0, 1, 2, 3, 4]
    bootstraps = 0                     # bootstrap resamples per seed besides the full data

    [[cohorts]]
    name = "gbm"
    mirna = "data/GBM_mirna_expression.tsv.gz"   # relative to the plan file
    mrna = "data/GBM_mrna_expression.tsv.gz"
    interactions = "data/hsa_MTI_pairs.tsv.gz"
    mirbase = ["data/mature_v22_hsa.tsv.gz"]
    settings = { evidence = "strong" }            # any MicaConfig field

    [method_parameters.mica]
    max_epochs = 50

Every (cohort, method, seed, bootstrap) is one task. Its output folder
``OUT/<cohort>/<method>/seed-<S>_boot-<B>/`` gets ``modules.tsv``, ``module_edges.tsv``,
``module_summary.tsv`` and, written last, ``task.json``; a task whose ``task.json`` says ``ok`` is
not run again, so an interrupted batch resumes where it stopped. A task that raises is reported
with its error (``task.json`` and ``batch_summary.tsv``) and does not stop the others. Each
cohort's inputs are read and prepared once, by one worker, as a task of its own; the method tasks
depend on that result, so Dask moves it to each worker at most once instead of shipping it with
every task.
"""

from __future__ import annotations

import json
import logging
import os
import re
import time
import traceback
import uuid
import warnings
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from mirmodules._random import derive_seed
from mirmodules._versions import mirmodules_version, package_versions
from mirmodules._warnings_log import collected
from mirmodules.config import MicaConfig
from mirmodules.exceptions import InputDataError, MirmodulesError
from mirmodules.inputs.prepared import input_record

__all__ = ["BatchPlan", "CohortSpec", "TaskSpec", "load_plan", "local_cluster", "run_batch",
           "summarise_stability"]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class CohortSpec:
    """One cohort of a plan: its files and MICA settings (preprocessing applies to every method)."""

    name: str
    mirna: str
    mrna: str
    interactions: str
    mirbase: tuple[str, ...] = ()
    settings: dict[str, Any] = field(default_factory=dict)
    predicted: tuple[str, ...] = ()

    @property
    def files(self) -> tuple[str, ...]:
        """Every input file of the cohort."""
        return (self.mirna, self.mrna, self.interactions, *self.mirbase, *self.predicted)


@dataclass(frozen=True)
class TaskSpec:
    """One unit of work."""

    cohort: str
    method: str
    seed: int
    bootstrap: int

    @property
    def key(self) -> str:
        """Relative output folder and Dask key stem."""
        return f"{self.cohort}/{self.method}/seed-{self.seed}_boot-{self.bootstrap}"

    def folder(self, out: Path) -> Path:
        """The task's folder, proven to lie inside ``out`` (cohort names are checked at load too)."""
        root = out.resolve()
        folder = (root / self.key).resolve()
        if root not in folder.parents:
            msg = (f"Task folder {folder} would lie outside the batch folder {root}; "
                   f"rename cohort {self.cohort!r}.")
            raise InputDataError(msg)
        return folder


@dataclass(frozen=True)
class BatchPlan:
    """A parsed plan."""

    cohorts: tuple[CohortSpec, ...]
    methods: tuple[str, ...]
    seeds: tuple[int, ...]
    bootstraps: int = 0
    method_parameters: dict[str, dict[str, Any]] = field(default_factory=dict)

    def tasks(self) -> list[TaskSpec]:
        """Every task, cohort by cohort."""
        return [
            TaskSpec(c.name, m, s, b)
            for c in self.cohorts
            for m in self.methods
            for s in self.seeds
            for b in range(self.bootstraps + 1)
        ]


def load_plan(path: str | Path) -> BatchPlan:
    """Read and check a TOML (``.toml``) or YAML (``.yaml``/``.yml``) plan; paths are taken
    relative to the plan's folder."""
    from mirmodules.methods.registry import METHODS

    path = Path(path)
    if not path.exists():
        msg = f"Plan file not found: {path}."
        raise InputDataError(msg)
    if not path.is_file():
        msg = f"Plan {path} is not a regular file (a folder, pipe or device); give the plan's .toml file."
        raise InputDataError(msg)
    try:
        text = path.read_text(encoding="utf-8")
    except UnicodeDecodeError as err:
        msg = f"Plan {path} is not UTF-8 text ({err}); save it as UTF-8."
        raise InputDataError(msg) from err
    try:
        if path.suffix in (".yaml", ".yml"):
            try:
                import yaml
            except ImportError as err:
                msg = f"Plan {path} is YAML, which needs PyYAML (pip install pyyaml); or write it as TOML."
                raise InputDataError(msg) from err
            raw = yaml.safe_load(text)
        else:
            import tomllib

            raw = tomllib.loads(text)
    except InputDataError:
        raise
    except Exception as err:  # tomllib.TOMLDecodeError, yaml.YAMLError
        msg = f"Plan {path} could not be parsed: {err}"
        raise InputDataError(msg) from err
    if not isinstance(raw, dict):
        msg = (f"Plan {path} holds a {type(raw).__name__}, not a table of settings (methods, seeds, "
               "cohorts ...).")
        raise InputDataError(msg)
    _check_keys(path, "the plan", raw, PLAN_KEYS)
    base = path.parent
    cohorts = []
    raw_cohorts = raw.get("cohorts", [])
    if not isinstance(raw_cohorts, list) or not all(isinstance(c, dict) for c in raw_cohorts):
        msg = (f"Plan {path}: 'cohorts' must be a list of tables ([[cohorts]] in TOML); got "
               f"{raw_cohorts!r:.80}.")
        raise InputDataError(msg)
    for i, item in enumerate(raw_cohorts):
        _check_keys(path, f"cohort #{i + 1}", item, COHORT_KEYS)
        missing = [k for k in ("name", "mirna", "mrna", "interactions") if k not in item]
        if missing:
            msg = (
                f"Plan {path}: cohort #{i + 1} lacks {missing}; each cohort needs name, mirna, mrna "
                "and interactions."
            )
            raise InputDataError(msg)
        name = str(item["name"])
        if not _SAFE_NAME.fullmatch(name) or name in {".", ".."}:
            msg = (f"Plan {path}: cohort name {name!r} is not a safe folder name; use letters, digits, "
                   "'.', '_' and '-' only (it names the cohort's folder inside --out).")
            raise InputDataError(msg)
        for key in ("mirna", "mrna", "interactions"):
            if not isinstance(item[key], str) or not item[key]:
                msg = (f"Plan {path}: cohort {name!r}: {key} must be a file path (a string); got "
                       f"{item[key]!r:.80}.")
                raise InputDataError(msg)
        lists = {}
        for key in ("mirbase", "predicted"):
            value = item.get(key, [])
            if not isinstance(value, list) or not all(isinstance(p, str) and p for p in value):
                msg = (f"Plan {path}: cohort {name!r}: {key} must be a list of file paths, e.g. "
                       f'{key} = ["table.tsv"]; got {value!r:.80}.')
                raise InputDataError(msg)
            lists[key] = value
        if not isinstance(item.get("settings", {}), dict):
            msg = (f"Plan {path}: cohort {name!r}: settings must be a table, e.g. "
                   'settings = { evidence = "strong" }.')
            raise InputDataError(msg)
        settings = dict(item.get("settings", {}))
        unknown = sorted(set(settings) - set(MicaConfig.__dataclass_fields__))
        if unknown:
            msg = f"Plan {path}: cohort {name!r} has unknown settings {unknown}."
            raise InputDataError(msg)
        try:  # the same validation as the command line, before any worker starts
            MicaConfig(**settings).validate()
        except (InputDataError, TypeError) as err:
            msg = f"Plan {path}: cohort {name!r} settings: {err}"
            raise InputDataError(msg) from err

        def resolve(p: str) -> str:
            return str(p if Path(p).is_absolute() else (base / p))

        cohorts.append(
            CohortSpec(
                str(item["name"]),
                resolve(item["mirna"]),
                resolve(item["mrna"]),
                resolve(item["interactions"]),
                tuple(resolve(p) for p in lists["mirbase"]),
                settings,
                tuple(resolve(p) for p in lists["predicted"]),
            )
        )
    if not cohorts:
        msg = f"Plan {path} names no cohorts ([[cohorts]] tables)."
        raise InputDataError(msg)
    names = [c.name for c in cohorts]
    if len(set(names)) != len(names):
        msg = f"Plan {path}: cohort names must be unique; got {names}."
        raise InputDataError(msg)
    raw_methods = raw.get("methods", ["mica"])
    if (not isinstance(raw_methods, list) or not raw_methods
            or not all(isinstance(m, str) for m in raw_methods)):
        msg = (f"Plan {path}: 'methods' must be a non-empty list of method names, e.g. "
               f'methods = ["mica"]; got {raw_methods!r:.80}.')
        raise InputDataError(msg)
    _check_unique(path, "methods", raw_methods)
    methods = tuple(raw_methods)
    unknown = [m for m in methods if m not in METHODS]
    if unknown:
        msg = f"Plan {path}: unknown method(s) {unknown}; choose from {sorted(METHODS)}."
        raise InputDataError(msg)
    raw_seeds = raw.get("seeds", [0])
    raw_boot = raw.get("bootstraps", 0)
    if (not isinstance(raw_seeds, list) or not raw_seeds
            or not all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in raw_seeds)
            or not isinstance(raw_boot, int) or isinstance(raw_boot, bool) or raw_boot < 0):
        msg = (f"Plan {path}: 'seeds' must be a non-empty list of integers >= 0 (got {raw_seeds!r}) and "
               f"'bootstraps' an integer >= 0 (got {raw_boot!r}).")
        raise InputDataError(msg)
    _check_unique(path, "seeds", raw_seeds)
    seeds, bootstraps = tuple(raw_seeds), int(raw_boot)
    n_tasks = len(cohorts) * len(methods) * len(seeds) * (bootstraps + 1)
    if bootstraps > MAX_BOOTSTRAPS or n_tasks > MAX_TASKS:
        msg = (f"Plan {path}: {n_tasks:,} tasks ({len(cohorts)} cohorts x {len(methods)} methods x "
               f"{len(seeds)} seeds x {bootstraps + 1} data sets); at most {MAX_BOOTSTRAPS} bootstraps and "
               f"{MAX_TASKS:,} tasks per plan. Split the plan.")
        raise InputDataError(msg)
    if not isinstance(raw.get("method_parameters", {}), dict):
        msg = f"Plan {path}: method_parameters must be a table ([method_parameters.mica] ...)."
        raise InputDataError(msg)
    method_parameters = dict(raw.get("method_parameters", {}))
    _validate_method_parameters(path, methods, method_parameters)
    return BatchPlan(tuple(cohorts), methods, seeds, bootstraps, method_parameters)


_SAFE_NAME = re.compile(r"[A-Za-z0-9._-]{1,100}")
#: Keys a plan and a cohort table may have.
PLAN_KEYS = ("cohorts", "methods", "seeds", "bootstraps", "method_parameters")
COHORT_KEYS = ("name", "mirna", "mrna", "interactions", "mirbase", "predicted", "settings")
#: Limits that keep a mistyped plan from running for ever.
MAX_BOOTSTRAPS, MAX_TASKS = 1000, 100_000


def _check_keys(path: Path, where: str, table: Mapping[str, Any], allowed: tuple[str, ...]) -> None:
    import difflib

    unknown = [k for k in table if k not in allowed]
    if unknown:
        hints: list[str] = []
        for key in unknown:
            close = difflib.get_close_matches(str(key), allowed, 1)
            hints.append(f"{key!r} (did you mean {close[0]!r}?)" if close else repr(key))
        msg = f"Plan {path}: {where} has unknown key(s) {', '.join(hints)}; the keys are {list(allowed)}."
        raise InputDataError(msg)


def _check_unique(path: Path, key: str, values: list[Any]) -> None:
    repeated = sorted({str(v) for v in values if values.count(v) > 1})
    if repeated:
        msg = f"Plan {path}: {key} lists {repeated} more than once; each would run the same tasks again."
        raise InputDataError(msg)


def _validate_method_parameters(path: Path, methods: tuple[str, ...], parameters: dict[str, Any]) -> None:
    """Each method's parameters checked as run_method will check them, at load time."""
    from mirmodules.methods.registry import method_spec

    for method, params in parameters.items():
        if method not in methods:
            msg = f"Plan {path}: [method_parameters.{method}] names a method the plan does not run {methods}."
            raise InputDataError(msg)
        if not isinstance(params, dict):
            msg = f"Plan {path}: [method_parameters.{method}] must be a table of settings."
            raise InputDataError(msg)
        spec = method_spec(method)
        allowed = {f.name for f in fields(spec.parameter_class)} - {"seed"}
        unknown = sorted(set(params) - allowed - set(spec.extra_parameters))
        if unknown:
            msg = f"Plan {path}: method {method!r} has no parameter(s) {unknown}; it takes {sorted(allowed)}."
            raise InputDataError(msg)
        try:
            spec.parameter_class(**{k: v for k, v in params.items() if k in allowed}).validate()
        except (InputDataError, TypeError) as err:
            msg = f"Plan {path}: [method_parameters.{method}]: {err}"
            raise InputDataError(msg) from err


def _prepare_cohort(cohort: CohortSpec) -> Any:
    from mirmodules.inputs.prepared import prepare_from_files

    config = MicaConfig(**cohort.settings)
    prepared, _, _ = prepare_from_files(
        cohort.mirna, cohort.mrna, cohort.interactions, mirbase_paths=list(cohort.mirbase), config=config,
        predicted_paths=list(cohort.predicted),
    )
    return prepared


def _write_task(folder: Path, modules: Any | None, record: dict[str, Any]) -> None:
    """Write a task's outputs atomically, ``task.json`` last."""
    from mirmodules.store.atomic import atomic_output
    from mirmodules.store.run_folder import write_module_tables

    with atomic_output(folder, command="batch task", overwrite=True) as tmp:
        if modules is not None:
            write_module_tables(modules, tmp)
        (tmp / "task.json").write_text(json.dumps(record, indent=2, default=str) + "\n", encoding="utf-8")


def _run_task(
    prepared: Any, task: TaskSpec, settings: Mapping[str, Any], parameters: Mapping[str, Any], out: str
) -> dict[str, Any]:
    """Run one task on a worker; never raises (errors go into the record)."""
    from mirmodules.evaluation.perturbation import bootstrap_prepared
    from mirmodules.methods.registry import run_method

    start = time.perf_counter()
    record: dict[str, Any] = {
        "task": task.key,
        "cohort": task.cohort,
        "method": task.method,
        "seed": task.seed,
        "bootstrap": task.bootstrap,
        "parameters": dict(parameters),
        "host": os.uname().nodename,
        "pid": os.getpid(),
    }
    modules = None
    caught: list[warnings.WarningMessage] = []
    try:
        data = prepared
        if task.bootstrap:
            rng = np.random.default_rng(derive_seed(task.seed, f"bootstrap_{task.bootstrap}"))
            data = bootstrap_prepared(prepared, rng)
        with warnings.catch_warnings(record=True) as caught:  # kept in task.json, not printed by workers
            warnings.simplefilter("always")
            run = run_method(task.method, data, seed=task.seed, config=MicaConfig(**settings), **parameters)
        modules = run.modules
        record.update(status="ok", n_modules=modules.n_modules, error="")
    except Exception as err:  # reported, never fatal to the batch
        record.update(
            status="failed",
            n_modules=0,
            error=f"{type(err).__name__}: {err}",
            traceback=traceback.format_exc(limit=8),
        )
    record["warnings"] = sorted({f"{w.category.__name__}: {w.message}" for w in caught})
    record["seconds"] = round(time.perf_counter() - start, 3)
    _write_task(task.folder(Path(out)), modules, record)
    return record


def _finished(out: Path, task: TaskSpec) -> dict[str, Any] | None:
    marker = task.folder(out) / "task.json"
    if not marker.exists():
        return None
    try:
        record = json.loads(marker.read_text(encoding="utf-8"))
    except (OSError, json.JSONDecodeError):
        return None
    return record if record.get("status") == "ok" else None


SUMMARY_COLUMNS = ["task", "cohort", "method", "seed", "bootstrap", "status", "n_modules", "seconds", "error"]


def local_cluster(n_workers: int) -> Any:
    """A Dask cluster of ``n_workers`` single-threaded worker processes on the loopback interface,
    without a dashboard. The scheduler's own HTTP server takes a free port: on its default (8787)
    it warns and moves when another cluster or a notebook holds that port."""
    from distributed import LocalCluster

    return LocalCluster(n_workers=n_workers, threads_per_worker=1, processes=True, host="127.0.0.1",
                        dashboard_address=None,
                        scheduler_kwargs={"dashboard": False, "dashboard_address": "127.0.0.1:0"})


def run_batch(
    plan: BatchPlan,
    out_dir: str | Path,
    *,
    workers: int | None = None,
    scheduler: str | None = None,
    progress: bool = False,
    client: Any = None,
) -> pd.DataFrame:
    """Run every task of ``plan`` on Dask and return the batch summary (also ``batch_summary.tsv``).

    ``scheduler`` connects to a running cluster (``tcp://host:port``); otherwise a local cluster of
    ``workers`` single-threaded worker processes on the loopback interface is started (default:
    one per core). ``client`` passes an existing :class:`distributed.Client`. Finished tasks are
    ``skipped`` (their earlier result is kept).
    """
    try:
        from distributed import Client, as_completed
    except ImportError as err:
        msg = (
            "The batch command runs on Dask, which is not installed: pip install 'mirmodules[dask]' "
            "(or pip install 'dask[distributed]'). Single runs (mirmodules run / compare) do not need it."
        )
        raise MirmodulesError(msg) from err
    from mirmodules._progress import Progress
    from mirmodules.store.atomic import check_output_path, mark_output_folder, write_text_atomic

    out = Path(out_dir)
    inputs = [p for c in plan.cohorts for p in c.files]
    # a batch resumes into its own folder: an existing one must be a folder mirmodules wrote
    check_output_path(out, overwrite=True, inputs=inputs)
    mark_output_folder(out, command="batch")
    tasks = plan.tasks()
    rows: list[dict[str, Any]] = []
    pending = []
    for task in tasks:
        done = _finished(out, task)
        if done is not None:
            rows.append({**{k: done.get(k) for k in SUMMARY_COLUMNS}, "status": "skipped"})
        else:
            pending.append(task)
    logger.info(
        "batch: %d tasks, %d already finished, %d to run", len(tasks), len(tasks) - len(pending), len(pending)
    )
    own_client = None
    task_warnings: dict[str, list[str]] = {}
    if pending:
        if client is None:
            if scheduler:
                own_client = Client(scheduler)
            else:
                own_client = Client(local_cluster(workers or os.cpu_count() or 1))
            client = own_client
        try:
            cohorts = {c.name: c for c in plan.cohorts}
            prepared = {}
            for name in dict.fromkeys(t.cohort for t in pending):
                prepared[name] = client.submit(
                    _prepare_cohort, cohorts[name], key=f"prepare-{name}-{uuid.uuid4().hex}", pure=False
                )
            futures = {}
            for task in pending:
                future = client.submit(
                    _run_task,
                    prepared[task.cohort],
                    task,
                    cohorts[task.cohort].settings,
                    plan.method_parameters.get(task.method, {}),
                    str(out.resolve()),
                    key=f"task-{task.key}-{uuid.uuid4().hex}",
                    pure=False,
                )
                futures[future] = task
            bar = Progress("batch", len(futures), "tasks", enabled=progress, logger=logger)
            for future in as_completed(futures):
                task = futures[future]
                try:
                    record = future.result()
                except Exception as err:  # preparation failed or a worker died
                    record = {
                        "task": task.key,
                        "cohort": task.cohort,
                        "method": task.method,
                        "seed": task.seed,
                        "bootstrap": task.bootstrap,
                        "status": "failed",
                        "n_modules": 0,
                        "seconds": np.nan,
                        "error": f"{type(err).__name__}: {err}",
                    }
                rows.append({k: record.get(k) for k in SUMMARY_COLUMNS})
                for text in record.get("warnings", []):
                    task_warnings.setdefault(text, []).append(task.key)
                bar.update(1, failed=sum(r["status"] == "failed" for r in rows))
            bar.close()
        finally:
            if own_client is not None:
                own_cluster = getattr(own_client, "cluster", None)
                own_client.close()
                if own_cluster is not None:
                    own_cluster.close()
    order = {t.key: i for i, t in enumerate(tasks)}
    summary = pd.DataFrame(rows, columns=SUMMARY_COLUMNS).sort_values("task", key=lambda s: s.map(order))
    summary = summary.reset_index(drop=True)
    # the tasks' warnings reach the command's stderr, log and manifest once per message
    for text, keys in task_warnings.items():
        logger.warning("%d batch task(s) warned (e.g. %s): %s", len(keys), keys[0], text)
    mark_output_folder(out, command="batch", files=["batch_summary.tsv", "stability.tsv", "manifest.json"])
    write_text_atomic(out / "batch_summary.tsv", summary.to_csv(sep="\t", index=False, float_format="%.6g"))
    stab = summarise_stability(out, plan)
    if not stab.empty:
        write_text_atomic(out / "stability.tsv", stab.to_csv(sep="\t", index=False, float_format="%.6g"))
    statuses = summary["status"].value_counts().to_dict()
    logger.info("batch: %s", statuses)
    manifest = {
        "command": "batch",
        "mirmodules_version": mirmodules_version(),
        "versions": package_versions(),
        "plan": {"methods": list(plan.methods), "seeds": list(plan.seeds), "bootstraps": plan.bootstraps,
                 "cohorts": [c.name for c in plan.cohorts]},
        "inputs": {c.name: [input_record(p) for p in c.files] for c in plan.cohorts},
        "tasks": {str(k): int(v) for k, v in statuses.items()},
        "warnings": collected(),
    }
    write_text_atomic(out / "manifest.json", json.dumps(manifest, indent=2, default=str) + "\n")
    return summary


def summarise_stability(out_dir: str | Path, plan: BatchPlan) -> pd.DataFrame:
    """Per cohort and method: mean best-match Jaccard of the first seed's full-data modules in every
    other finished task (seeds and bootstraps) of the batch."""
    from mirmodules.evaluation.recovery import best_match_jaccard
    from mirmodules.store.run_folder import read_modules

    out = Path(out_dir)
    rows = []
    for cohort in plan.cohorts:
        for method in plan.methods:
            ref_task = TaskSpec(cohort.name, method, plan.seeds[0], 0)
            if _finished(out, ref_task) is None:
                continue
            reference = read_modules(out / ref_task.key)
            scores = []
            for seed in plan.seeds:
                for b in range(plan.bootstraps + 1):
                    task = TaskSpec(cohort.name, method, seed, b)
                    if task == ref_task or _finished(out, task) is None:
                        continue
                    table = best_match_jaccard(reference, read_modules(out / task.key))
                    if len(table):
                        scores.append(float(table["jaccard"].mean()))
            rows.append(
                {
                    "cohort": cohort.name,
                    "method": method,
                    "reference_modules": reference.n_modules,
                    "n_reruns": len(scores),
                    "stability": float(np.mean(scores)) if scores else np.nan,
                }
            )
    return pd.DataFrame(rows, columns=["cohort", "method", "reference_modules", "n_reruns", "stability"])
