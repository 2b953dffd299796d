#!/usr/bin/env python3
"""Paired boot timings: QEMU with a run's own command line booting a static
init that powers off at once (the bare-boot limit), against the whole
`mmrepro run` of that run, alternated so both see the same machine load."""
import argparse
import json
import os
import shlex
import statistics
import subprocess
import sys
import tempfile
import time

MARK = b'bare-init: start'


def load_argv(path):
    """qemu.cmdline: one single-quoted argument per line, joined by backslashes."""
    with open(path) as f:
        return shlex.split(f.read().replace('\\\n', ' '))


def with_arg(argv, option, value):
    out = list(argv)
    out[out.index(option) + 1] = value
    return out


def bare_boot(argv):
    """Seconds from QEMU's start to the init's line and to QEMU's exit."""
    with open(os.devnull, 'wb') as null:
        os.dup2(null.fileno(), 3)  # the results serial port, unused here
        t0 = time.monotonic()
        p = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, pass_fds=(3,))
        seen, to_init = b'', None
        for chunk in iter(lambda: p.stdout.read1(65536), b''):
            seen = (seen + chunk)[-4096:]
            if to_init is None and MARK in seen:
                to_init = time.monotonic() - t0
        rc = p.wait()
        total = time.monotonic() - t0
    if rc != 0 or to_init is None:
        sys.exit('bare boot failed (exit %d, init line %s): %s' % (rc, 'seen' if to_init else 'not seen',
                                                                   shlex.join(argv)))
    return to_init, total


def whole_run(cmd, out_dir):
    t0 = time.monotonic()
    rc = subprocess.run(cmd + ['--out', out_dir], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL).returncode
    total = time.monotonic() - t0
    with open(os.path.join(out_dir, 'run-1', 'result.json')) as f:
        result = json.load(f)
    if rc != 0 or result['verdict'] != 'PASS':
        sys.exit('%s: exit %d, verdict %s (see %s)' % (shlex.join(cmd), rc, result['verdict'], out_dir))
    return result['seconds']['to_init'], total


def report(variants, bare, whole, runs):
    print('%-8s  %-25s  %-25s  %s' % ('image', 'bare boot (static init)', 'whole smoke run', 'ratio'))
    print('%-8s  %-11s  %-11s  %-11s  %-11s' % ('', 'to init', 'to exit', 'to init', 'command'))
    for name, _, _ in variants:
        b = [statistics.median(t[k] for t in bare[name]) for k in (0, 1)]
        w = [statistics.median(t[k] for t in whole[name]) for k in (0, 1)]
        print('%-8s  %-11s  %-11s  %-11s  %-11s  %.2f' % (name, '%.2f s' % b[0], '%.2f s' % b[1], '%.2f s' % w[0],
                                                          '%.2f s' % w[1], w[1] / b[1]))
    print('medians of %d pairs; times from QEMU start, the command from its start; '
          'ratio = whole command / bare boot to exit' % runs)


def main():
    ap = argparse.ArgumentParser(description=__doc__)
    ap.add_argument('--cmdline', required=True, help="a run's qemu.cmdline: the bare boots' command line")
    ap.add_argument('--bare-initrd', required=True)
    ap.add_argument('--runs', type=int, default=5)
    ap.add_argument('--work', required=True, help='dir for the whole runs')
    ap.add_argument('--variant', nargs=3, action='append', required=True, metavar=('NAME', 'IMAGE', 'SPEC'),
                    help='boot IMAGE bare, and the whole run with --kernel SPEC')
    ap.add_argument('run_cmd', nargs='+', help='the whole run, without --kernel and --out')
    a = ap.parse_args()

    argv = with_arg(load_argv(a.cmdline), '-initrd', a.bare_initrd)
    bare = {v[0]: [] for v in a.variant}
    whole = {v[0]: [] for v in a.variant}
    for i in range(a.runs):
        for name, image, spec in a.variant:
            bare[name].append(bare_boot(with_arg(argv, '-kernel', image)))
            whole[name].append(whole_run(a.run_cmd + ['--kernel', spec], os.path.join(a.work, '%s-%d' % (name, i))))

    report(a.variant, bare, whole, a.runs)


if __name__ == '__main__':
    main()
