"""The ``dendrite`` command line: thin, it parses, calls the library and prints.

Exit codes: 0 success, 2 invalid input (case, geometry, plugin), 3 solver failure,
130 interrupted, 1 internal error (a bug: rerun with --debug for the traceback).
``--plugin FILE.py`` (repeatable, before or after the command) imports a user module that
registers geometries, kinetics laws, risk criteria; installed plugins load by themselves.
"""

from __future__ import annotations

import argparse
import gc
import sys


__all__ = ["main"]


def _cmd_run(args) -> int:
    from mpi4py import MPI

    from solver.config.case import load_case
    from solver.errors import one_line
    from solver.io.report import summary_text
    from solver.studies.run import run_case

    case = load_case(args.case)
    result = run_case(case, out=args.out, overwrite=args.overwrite, quiet=args.quiet)
    if MPI.COMM_WORLD.rank == 0 and not args.quiet:  # --quiet: errors only
        print(escaped(summary_text(result.summary)))
    checks = result.summary.get("acceptance", {"passed": True})
    if not checks["passed"]:  # solver.on_check_failure: mark_failed wrote the folder anyway
        if MPI.COMM_WORLD.rank == 0:
            print(f"error: {one_line(result.folder)} is marked failed: {one_line('; '.join(checks['failures']))}",
                  file=sys.stderr)
        return 3
    stopped = (result.summary.get("risk") or {}).get("ccd_search_stopped")
    if stopped:  # the folder holds everything else; the CCD asked for was not determined
        if MPI.COMM_WORLD.rank == 0:
            print(f"error: {one_line(result.folder)}: {one_line(result.summary['risk']['ccd_note'])}", file=sys.stderr)
        return 3
    return 0


def escaped(text: str) -> str:
    """``text`` with control characters shown escaped, line by line: a case's description
    with terminal escapes cannot drive the terminal."""
    from solver.errors import one_line

    return "\n".join(one_line(line) for line in text.splitlines())


def _cmd_cycle(args) -> int:
    from mpi4py import MPI

    from solver.config.case import load_case
    from solver.studies.cycle import run_cycle

    result = run_cycle(load_case(args.case), out=args.out, quiet=args.quiet)
    if MPI.COMM_WORLD.rank == 0:
        s = result.summary
        short = "no short" if s["time_to_short_s"] is None else (
            f"short after {s['time_to_short_s'] / 3600:.4g} h at {0.1 * s['short_current_density_A_m2']:.3g} mA/cm^2")
        print(f"cycle: {s['time_steps']} steps, {s['simulated_time_s'] / 3600:.4g} h simulated, {short} "
              f"({s['stop_reason']}); folder: {result.folder}")
    return 0


def _launcher_rank() -> int:
    """This process's rank from the MPI launcher's environment (validate starts no MPI)."""
    from solver.io.progress import process_rank

    return process_rank()


def _cmd_validate(args) -> int:
    """Every check that needs no mesh (the case against its geometry's declaration included);
    imports neither DOLFINx nor PETSc."""
    from solver.config.case import load_case
    from solver.errors import one_line

    case = load_case(args.case)
    if _launcher_rank() == 0:
        i0, source = case.exchange_current_density()
        law = case.electrochemistry.kinetics.law
        kinetics = f"{law}, i0 = {i0:.4g} A/m^2 from {source}" if i0 is not None else law
        decl = case.declaration
        shape = "" if decl is None else f" {decl.dimension}D" + (f", {len(decl.flaws.tips)} flaw(s)" if decl.flaws else "")
        print(one_line(f"{args.case}: valid (geometry {case.model.geometry.type}{shape}, regions "
                       f"{', '.join(case.materials)}, kinetics {kinetics})"))
    return 0


def _cmd_compare(args) -> int:
    from pathlib import Path

    from solver.config.case import load_case
    from solver.studies.compare import Study, compare, load_study

    if len(args.cases) == 1:
        study, cases = load_study(Path(args.cases[0]))
        if args.seeds:
            study = study.model_copy(update={"seeds": args.seeds})
    else:
        cases = [load_case(c) for c in args.cases]
        study = Study(name=args.name, cases=args.cases, seeds=args.seeds or 1)
    if args.cycle or study.cycle:
        from solver.studies.compare_cycling import compare_cycling

        folder = compare_cycling(cases, study.seeds, args.out, study, groups=args.groups)
    else:
        folder = compare(cases, study.seeds, args.out, study, groups=args.groups)
    from mpi4py import MPI

    if MPI.COMM_WORLD.rank == 0:
        print((folder / "comparison.md").read_text())
    return 0


def _cmd_calibrate(args) -> int:
    from mpi4py import MPI

    from solver.studies.calibrate import calibrate_case
    from solver.config.case import load_case
    from solver.errors import CaseError
    from solver.config.units import to_si

    try:
        target = to_si(args.target, "S/m")
        low, high = (to_si(v, "S/m") for v in args.bracket.split(","))
    except ValueError as exc:
        raise CaseError("--target/--bracket", str(exc)) from None
    result = calibrate_case(load_case(args.case), args.unknown, target, (low, high))
    if MPI.COMM_WORLD.rank == 0:
        print(f"{args.unknown}: ionic_conductivity = {result['conductivity_S_m'] * 10:.6g} mS/cm "
              f"({result['conductivity_S_m']:.6g} S/m) reproduces {target * 10:.4g} mS/cm; "
              f"with the case's value the microstructure gives "
              f"{result['effective_conductivity_with_case_values_S_m'] * 10:.4g} mS/cm")
    return 0


def _cmd_geometries(args) -> int:
    import meshes
    from solver import plugins
    from solver.config.schema_doc import declared, describe_model

    plugins.load_entry_points()
    for name, gen in sorted(meshes.registry.items()):
        print(f"{name}: {gen.description}")
        if line := declared(gen).strip():
            print(f"  {line}")
        print("\n".join(describe_model(gen.parameters)))
        print()
    print("Quantities take units ('2 um', '300 nm'); bare numbers are SI (m).")
    return 0


def _cmd_sweep(args) -> int:
    from mpi4py import MPI

    from solver.config.case import load_case
    from solver.errors import one_line
    from solver.studies.sweep import describe, parse_values, run_sweep

    case = load_case(args.case)
    values = parse_values(args.values) if args.values is not None else None
    rank0 = MPI.COMM_WORLD.rank == 0
    result = run_sweep(case, args.param, values, args.out, groups=args.groups,
                       progress=None if args.quiet else lambda record: print(one_line(describe(record)), flush=True))
    if rank0:
        print(f"sweep: {len(result.records)} points, {len(result.failed)} failed; table: {result.folder / 'results.csv'}")
        for record in result.failed:
            print(f"failed: {one_line(describe(record))}", file=sys.stderr)
    return 3 if result.failed else 0


def _cmd_clean(args) -> int:
    from solver.io.result_folder import clean

    for path in clean(args.directory):
        print(f"removed {path}")
    return 0


def _add_groups(parser: argparse.ArgumentParser, what: str) -> None:
    parser.add_argument("--groups", type=int, default=1, metavar="N",
                        help=f"split the MPI ranks into N process groups (sub-communicators) that run "
                             f"independent {what} side by side (default 1: all ranks solve each together)")


def _plugin_option(parser: argparse.ArgumentParser, dest: str) -> None:
    parser.add_argument("--plugin", action="append", default=[], dest=dest, metavar="FILE.py",
                        help="import a user module that registers geometries, kinetics laws or risk criteria "
                             "(repeatable)")


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="dendrite", description=__doc__.splitlines()[0])
    p.add_argument("--debug", action="store_true", help="show tracebacks of internal errors")
    _plugin_option(p, "plugins")
    common = argparse.ArgumentParser(add_help=False)
    _plugin_option(common, "command_plugins")
    sub = p.add_subparsers(dest="command", required=True)
    r = sub.add_parser("run", parents=[common], help="run a case and write a result folder")
    r.add_argument("case", help="case file (YAML)")
    r.add_argument("--out", help="result folder (default: outputs.directory/NAME-TIMESTAMP)")
    r.add_argument("--overwrite", action="store_true", help="replace --out if it exists")
    r.add_argument("--quiet", action="store_true", help="print errors only (no progress, no report)")
    r.set_defaults(func=_cmd_run)
    y = sub.add_parser("cycle", parents=[common], help="cycle a cell through the case's protocol (resumable; docs/cycling.md)")
    y.add_argument("case", help="case file (YAML) with a 'cycling:' section")
    y.add_argument("--out", help="result folder (default: outputs.directory/NAME-cycle); rerun to resume")
    y.add_argument("--quiet", action="store_true", help="no progress bar")
    y.set_defaults(func=_cmd_cycle)
    v = sub.add_parser("validate", parents=[common], help="check a case without solving")
    v.add_argument("case")
    v.set_defaults(func=_cmd_validate)
    c = sub.add_parser("compare", parents=[common], help="run designs side by side over random seeds and write one report")
    c.add_argument("cases", nargs="+", help="two or more case files, or one comparison file")
    c.add_argument("--seeds", type=int, help="realisations of each random geometry (default 1, or the comparison file's)")
    c.add_argument("--name", default="comparison", help="name of the comparison folder")
    c.add_argument("--out", help="comparison folder (default: results/NAME-TIMESTAMP)")
    c.add_argument("--cycle", action="store_true", help="compare cycling results: run `dendrite cycle` on every "
                   "case (time to short, CCD step, contact fraction)")
    _add_groups(c, "runs")
    c.set_defaults(func=_cmd_compare)
    s = sub.add_parser("sweep", parents=[common], help="run a case over values of one key (resumable; see docs/reliability.md)")
    s.add_argument("case", help="case file (YAML); without --param, its 'study:' section is swept")
    s.add_argument("--param", help="dotted key, e.g. electrochemistry.applied_current_density")
    s.add_argument("--values", help="comma-separated values, e.g. '0.5 mA/cm^2,1 mA/cm^2'")
    s.add_argument("--out", help="sweep folder (default: outputs.directory/sweep-NAME); rerun to resume")
    s.add_argument("--quiet", action="store_true", help="print only the final line")
    _add_groups(s, "points")
    s.set_defaults(func=_cmd_sweep)
    k = sub.add_parser("clean", parents=[common], help="remove hidden .partial folders and temporary files left by interrupted runs and sweeps")
    k.add_argument("directory", nargs="?", default="results", help="results folder (default: results)")
    k.set_defaults(func=_cmd_clean)
    k = sub.add_parser("calibrate", parents=[common], help="find one conductivity so the microstructure matches a measured total")
    k.add_argument("case")
    k.add_argument("--unknown", required=True, help="region name, or grain_boundary_facets")
    k.add_argument("--target", required=True, help="measured total conductivity, e.g. '13.2 mS/cm'")
    k.add_argument("--bracket", default="1e-6 S/m,1e4 S/m", help="'low,high' search range")
    k.set_defaults(func=_cmd_calibrate)
    g = sub.add_parser("geometries", parents=[common], help="list geometry generators with parameters, defaults and units")
    g.set_defaults(func=_cmd_geometries)
    return p


def _load_plugins(args) -> None:
    from solver import plugins

    for path in args.plugins + getattr(args, "command_plugins", []):
        plugins.load_file(path)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    if args.command == "validate":  # no MPI, no PETSc: answers at once
        return _guarded_validate(args)
    from mpi4py import MPI

    return _guarded(args, MPI.COMM_WORLD)


def _guarded_validate(args) -> int:
    """``validate``: no MPI is started; a user error is one line on stderr and its exit code."""
    from solver.errors import DendriteError
    from solver.io.progress import configure_logging

    configure_logging(quiet=getattr(args, "quiet", False))
    try:
        _load_plugins(args)
        return args.func(args)
    except DendriteError as exc:
        if _launcher_rank() == 0:
            print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except Exception as exc:  # a bug, not a user error
        if args.debug:
            raise
        print(f"internal error: {type(exc).__name__}: {exc} (rerun with --debug)", file=sys.stderr)
        return 1


def _guarded(args, comm) -> int:
    """Run the command on every rank; it ends together, with one line and one exit code
    (:func:`solver.studies.parallel.end_together`), also when one rank fails alone."""
    from solver.errors import DendriteError
    from solver.io.progress import configure_logging
    from solver.jit_cache import recover_jit_cache
    from solver.lifecycle import interrupt_handlers
    from solver.studies.parallel import end_together, exit_code_of

    if comm.size > 1:
        # PETSc objects freed by the cyclic garbage collector are destroyed collectively;
        # collection at rank-dependent times can deadlock, so collect at run boundaries only
        # (solver.studies.run.run_case and every sweep point call gc.collect() on every rank).
        gc.disable()
    configure_logging(quiet=getattr(args, "quiet", False))
    error, code = None, 0
    with interrupt_handlers(comm.rank, comm.size):
        try:
            _load_plugins(args)
            if args.command in ("run", "cycle", "sweep", "compare", "calibrate"):  # the commands that compile forms
                recover_jit_cache(comm)
            code = args.func(args)
        except (Exception, KeyboardInterrupt) as exc:
            if args.debug and not isinstance(exc, (DendriteError, KeyboardInterrupt, OSError)):
                raise
            error, code = exc, exit_code_of(exc)
        return end_together(comm, error, code)


if __name__ == "__main__":
    sys.exit(main())
