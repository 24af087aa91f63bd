# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""The installed Pollux is usable out of tree: headers, libraries and
libpollux.pc from `meson install` build and run a program."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

from lib import app, env

PROGRAM = r"""
#include <stdio.h>
#include <stdint.h>
#include <px_exec.h>
#include <px_sync.h>
#include <px_task.h>

static void *
square(void *arg)
{
	uintptr_t v = (uintptr_t)arg;

	px_sleep_ns(1000);
	return (void *)(v * v);
}

static void *
main_task(void *arg)
{
	struct px_task *t;
	void *r;

	(void)arg;
	if (px_spawn(square, (void *)7, NULL, &t) != 0 ||
			px_task_join(t, &r, PX_TIMEOUT_INF) != 0)
		return (void *)1;
	printf("out-of-tree: 7*7=%lu on pollux %s\n", (unsigned long)(uintptr_t)r,
		px_version());
	return NULL;
}

int
main(int argc, char **argv)
{
	void *res = (void *)1;
	int ret = px_init(argc, argv, NULL);

	if (ret < 0)
		return 1;
	ret = px_run(main_task, NULL, &res);
	px_fini(true);
	return ret == 0 && res == NULL ? 0 : 1;
}
"""


def _pc_dir(root: Path) -> Path:
    hits = list(root.rglob("libpollux.pc"))
    assert hits, f"libpollux.pc not installed under {root}"
    return hits[0].parent


def test_install_and_build_out_of_tree(build_dir, tmp_path):
    """Install into a staging root and build a program with pkg-config.

    Steps: meson install --destdir STAGE; compile a C program with
    `pkg-config --cflags --libs libpollux` (sysroot = STAGE); run it.
    Verify: headers and pc file installed; the installed static libraries
    define no global symbol outside px_; the program links against them
    and prints the task's result.
    """
    if env.sanitized():
        pytest.skip("packaging is checked on the release build: sanitized "
                    "libraries need the sanitizer runtime at link time")
    stage = tmp_path / "stage"
    subprocess.run(["meson", "install", "-C", str(build_dir), "--destdir",
                    str(stage), "--quiet"], check=True, capture_output=True)
    incs = list(stage.rglob("pollux/px_task.h"))
    assert incs, "headers not installed"
    # Only px_ names leave the installed libraries (no tcp_input,
    # task_run, ... to collide with the program they are linked into).
    libs = sorted(stage.rglob("libpx_*.a"))
    assert len(libs) >= 7, f"libraries not installed: {libs}"
    assert not [p for p in libs if p.name.endswith("_raw.a")], libs
    chk = subprocess.run([str(env.source_dir() / "test" / "check_symbols.sh"),
                          *map(str, libs)], capture_output=True, text=True)
    assert chk.returncode == 0, chk.stdout + chk.stderr
    # The preload library and its launcher: the launcher points at the
    # installed library, and the library exports only libc's names.
    pre = list(stage.rglob("libpollux-preload.so"))
    run = list(stage.rglob("bin/pollux-run"))
    assert pre and run, "libpollux-preload.so / pollux-run not installed"
    assert os.access(run[0], os.X_OK)
    text = run[0].read_text()
    assert "@LIBDIR@" not in text and "/libpollux-preload.so" in text
    syms = subprocess.run(["nm", "-D", "--defined-only", str(pre[0])],
                          check=True, capture_output=True,
                          text=True).stdout.split("\n")
    names = {ln.split()[-1] for ln in syms if ln.strip()}
    assert {"socket", "accept4", "epoll_wait", "read", "sendfile64"} <= names
    stray = sorted(n for n in names if n.startswith(("px_", "rte_", "tcp_",
                                                      "app_")))
    assert not stray, f"internal names exported: {stray[:10]}"
    # Relocate the staged .pc: its prefix= line points into the staging
    # root (libdpdk's own paths stay as they are).
    pc_src = _pc_dir(stage) / "libpollux.pc"
    pc_dir = tmp_path / "pc"
    pc_dir.mkdir()
    lines = []
    for line in pc_src.read_text().splitlines():
        if line.startswith("prefix="):
            line = f"prefix={stage}{line[len('prefix='):]}"
        lines.append(line)
    (pc_dir / "libpollux.pc").write_text("\n".join(lines) + "\n")
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libpollux"],
                           env=dict(os.environ, PKG_CONFIG_PATH=str(pc_dir)),
                           check=True, capture_output=True,
                           text=True).stdout.split()
    assert any(f.startswith("-I") and f.endswith("pollux") for f in flags)
    assert "-lpx_exec" in flags
    src = tmp_path / "hello.c"
    src.write_text(PROGRAM)
    exe = tmp_path / "hello"
    cc = subprocess.run(["cc", "-std=c11", "-D_GNU_SOURCE", "-Wall",
                         "-Werror", str(src), "-o", str(exe), *flags],
                        capture_output=True, text=True)
    assert cc.returncode == 0, cc.stderr
    res = app.run(exe, env.EAL_BASE + ["--no-huge", "-m", "256", "-l", "0",
                                       "--file-prefix=dts-install"])
    assert res.rc == 0, res.out + res.err
    assert "out-of-tree: 7*7=49 on pollux" in res.out
