"""Time and peak memory of `mirmodules data assemble` on a TCGA-size synthetic GDC download.

Writes a download of PATIENTS patients (default 1,100: one STAR "augmented gene counts" file of
60,660 genes, GENCODE v36 layout, and one miRNA isoform file of 1,000-3,000 rows each, so about
2,200 files and 5 GB, plain text as gdc-client leaves them) plus its sample sheet into a temporary
folder (or --workdir), then runs `python -m mirmodules data assemble` on it in a child process and
prints the wall time, the assembly's own time (manifest.json) and the child's peak resident memory.

The gene layout is one GENCODE-v36-like table (about 20,000 protein-coding genes, PAR_Y copies,
symbols shared by small-RNA loci); the counts of the files are drawn from TEMPLATES distinct
negative-binomial profiles (the parse cost depends on the bytes, not on the values), each file a
separate copy on disk.

    python benchmarks/gdc_assembly.py [--patients 1100] [--templates 24] [--workdir DIR] [--keep]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

STAR_HEADER = ("gene_id\tgene_name\tgene_type\tunstranded\tstranded_first\tstranded_second\t"
               "tpm_unstranded\tfpkm_unstranded\tfpkm_uq_unstranded")
N_GENES = 60_660
TYPES = [("protein_coding", 19_962), ("lncRNA", 16_901), ("processed_pseudogene", 10_167),
         ("unprocessed_pseudogene", 2_614), ("misc_RNA", 2_212), ("snRNA", 1_901), ("miRNA", 1_881),
         ("TEC", 1_057), ("snoRNA", 943), ("other", 3_022)]


def gene_table(rng: np.random.Generator) -> pd.DataFrame:
    types = np.concatenate([[t] * n for t, n in TYPES])[:N_GENES]
    rng.shuffle(types)
    ids = [f"ENSG{10_000_000 + 3 * i:011d}.{1 + i % 17}" for i in range(N_GENES)]
    names = [f"{'ABCDEFGHKLMNPRSTZ'[i % 17]}{'XYQW'[i % 4]}{i}" for i in range(N_GENES)]
    for i in range(0, 600, 1):  # small-RNA loci sharing a symbol (Y_RNA, U6, ... in GENCODE)
        names[-1 - i] = ("Y_RNA", "U6", "Metazoa_SRP", "5S_rRNA")[i % 4]
        types[-1 - i] = "misc_RNA"
    par = np.flatnonzero(types == "protein_coding")[:45]  # PAR_Y copies keep the X copy's symbol
    for k, i in enumerate(par):
        j = N_GENES - 700 - k
        ids[j], names[j], types[j] = f"{ids[i]}_PAR_Y", names[i], "protein_coding"
    return pd.DataFrame({"gene_id": ids, "gene_name": names, "gene_type": types})


def star_file(genes: pd.DataFrame, rng: np.random.Generator) -> bytes:
    means = rng.gamma(0.4, 400.0, len(genes))
    counts = rng.poisson(means)
    first = rng.binomial(counts, 0.5)
    length_kb = 0.5 + rng.gamma(2.0, 1.0, len(genes))
    tpm = counts / length_kb
    tpm = tpm / tpm.sum() * 1e6
    fpkm = counts / length_kb / max(counts.sum(), 1) * 1e6
    lines = ["# gene-model: GENCODE v36", STAR_HEADER]
    for name, value in zip(("N_unmapped", "N_multimapping", "N_noFeature", "N_ambiguous"),
                           rng.integers(10**6, 10**7, 4), strict=True):
        lines.append(f"{name}\t\t\t{value}\t{value}\t{value}\t\t\t")
    for gid, gname, gtype, c, f, t, k in zip(genes["gene_id"], genes["gene_name"], genes["gene_type"], counts,
                                             first, tpm, fpkm, strict=True):
        lines.append(f"{gid}\t{gname}\t{gtype}\t{c}\t{f}\t{c - f}\t{t:.4f}\t{k:.4f}\t{k * 1.3:.4f}")
    return ("\n".join(lines) + "\n").encode()


def isoform_file(rng: np.random.Generator) -> bytes:
    n = int(rng.integers(1000, 3001))
    precursor = rng.integers(1, 1900, n)
    regions = rng.choice(["mature", "star", "precursor", "stemloop", "unannotated"], n,
                         p=[0.72, 0.04, 0.12, 0.02, 0.10])
    counts = rng.negative_binomial(1, 0.01, n) + 1
    lines = ["miRNA_ID\tisoform_coords\tread_count\treads_per_million_miRNA_mapped\tcross-mapped\t"
             "miRNA_region"]
    for p, r, c in zip(precursor, regions, counts, strict=True):
        region = f"mature,MIMAT{p * 2 + (c % 2):07d}" if r == "mature" else str(r)
        lines.append(f"hsa-mir-{p}\thg38:chr{1 + p % 22}:{1000 + p * 997}-{1021 + p * 997}:+\t{c}\t"
                     f"{c * 0.37:.6f}\t{'Y' if p % 13 == 0 else 'N'}\t{region}")
    return ("\n".join(lines) + "\n").encode()


def write_download(root: Path, patients: int, templates: int) -> Path:
    rng = np.random.default_rng(0)
    genes = gene_table(rng)
    stars = [star_file(genes, rng) for _ in range(templates)]
    isoforms = [isoform_file(rng) for _ in range(templates)]
    files = root / "files"
    rows = []
    for p in range(patients):
        case = f"TCGA-{'AB'[p % 2]}{p % 9}-{p:04d}"
        for kind, body, data_type, suffix in (
            ("m", stars[p % templates], "Gene Expression Quantification",
             "rna_seq.augmented_star_gene_counts.tsv"),
            ("i", isoforms[(p * 7) % templates], "Isoform Expression Quantification",
             "mirbase21.isoforms.quantification.txt"),
        ):
            file_id = f"{p:08x}-{kind}000-4000-8000-{p:012x}"
            name = f"{file_id[:8]}.{suffix}"
            (files / file_id).mkdir(parents=True)
            (files / file_id / name).write_bytes(body)
            rows.append((file_id, name, "Transcriptome Profiling", data_type, "TCGA-SIM", case, f"{case}-01A",
                         "Primary Tumor"))
    sheet = root / "gdc_sample_sheet.tsv"
    pd.DataFrame(rows, columns=["File ID", "File Name", "Data Category", "Data Type", "Project ID", "Case ID",
                                "Sample ID", "Sample Type"]).to_csv(sheet, sep="\t", index=False)
    return sheet


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--patients", type=int, default=1100)
    parser.add_argument("--templates", type=int, default=24, help="distinct count profiles")
    parser.add_argument("--workdir", type=Path, default=None, help="folder for the download (default: temp)")
    parser.add_argument("--keep", action="store_true", help="keep the download and the output")
    args = parser.parse_args()
    root = args.workdir or Path(tempfile.mkdtemp(prefix="gdc_bench_"))
    root.mkdir(parents=True, exist_ok=True)
    try:
        start = time.perf_counter()
        sheet = write_download(root, args.patients, args.templates)
        size = sum(p.stat().st_size for p in (root / "files").rglob("*") if p.is_file())
        print(f"download: {2 * args.patients} files, {size / 1e9:.2f} GB, written in "
              f"{time.perf_counter() - start:.1f} s ({root})")
        out = root / "cohort"
        start = time.perf_counter()
        subprocess.run([sys.executable, "-m", "mirmodules", "-q", "data", "assemble", "--sample-sheet",
                        str(sheet), "--files", str(root / "files"), "--out", str(out)], check=True)
        wall = time.perf_counter() - start
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        peak = usage.ru_maxrss / 1024  # KiB on Linux
        manifest = json.loads((out / "manifest.json").read_text())
        counts = manifest["counts"]
        print(f"data assemble: {wall:.1f} s wall (assembly {counts['seconds']:.1f} s, the rest start-up and "
              f"writing), {usage.ru_utime + usage.ru_stime:.1f} s CPU, peak RSS {peak:.0f} MiB; load average "
              f"{', '.join(f'{x:.1f}' for x in os.getloadavg())} on {os.cpu_count()} CPUs")
        print(f"output: {counts['samples']} samples, {counts['mrna_genes']} genes "
              f"({counts['mrna_rows_merged_by_symbol']} rows merged by symbol), {counts['mirnas']} miRNAs; "
              f"mrna.tsv.gz {(out / 'mrna.tsv.gz').stat().st_size / 1e6:.1f} MB, "
              f"mirna.tsv.gz {(out / 'mirna.tsv.gz').stat().st_size / 1e6:.1f} MB")
        # the templates' repeated columns compress unusually well: time the writer on varied counts too
        from mirmodules.store.cohort_folder import write_count_matrix

        rng = np.random.default_rng(1)
        shape = (counts["mrna_genes"], counts["samples"])
        varied = rng.poisson(rng.gamma(0.4, 400.0, (shape[0], 1)) * rng.gamma(5, 0.2, (1, shape[1])))
        frame = pd.DataFrame(varied.astype(np.int32), index=pd.Index([f"G{i}" for i in range(shape[0])],
                                                                      name="gene"))
        start = time.perf_counter()
        write_count_matrix(root / "varied.tsv.gz", frame)
        seconds = time.perf_counter() - start
        print(f"writing a {shape[0]} x {shape[1]} matrix of varied counts: {seconds:.1f} s, "
              f"{(root / 'varied.tsv.gz').stat().st_size / 1e6:.1f} MB")
    finally:
        if not args.keep:
            shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
