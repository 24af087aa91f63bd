# SPDX-License-Identifier: BSD-3-Clause
# Copyright(c) 2026 The Pollux authors
"""TCP against the Linux stack over net_tap: handshake options, resets
for closed ports, nc/socat echo, byte-exact streams on a clean and a
faulty link (loss from nftables on the kernel side, delay, reordering,
duplication and corruption from Pollux's fault stage), Pollux as the
client of a kernel echo server, half-close, sockperf, and many short
connections with nothing leaked."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import time
from pathlib import Path

import pytest

from lib import env, netns

TOOLS = Path(__file__).resolve().parents[1] / "tools"
STREAM = str(TOOLS / "tcp_stream.py")


def release_only(what: str) -> None:
    """Skip on the sanitized build: CI spends its 30 minutes on byte volume
    otherwise, and the same code runs under ASan in the smaller cases (1 %
    loss, the fault cases, the unit suite's SACK holes)."""
    if env.sanitized():
        pytest.skip(f"{what}: runs on the release build")
MIB = 1 << 20


def stream(t, nbytes: int, port: int = 7, timeout: float = 400.0,
           seed: int = 1) -> dict:
    """Run the kernel stream client in the namespace; return its report."""
    res = t.run(["python3", STREAM, t.pollux_ip, str(port), str(nbytes),
                 str(seed), str(timeout)], timeout=timeout + 30)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


def assert_exact(rep: dict, nbytes: int) -> None:
    assert rep["error"] == "", rep
    assert rep["sent"] == nbytes and rep["received"] == nbytes, rep
    assert rep["sent_sha256"] == rep["recv_sha256"], rep


def short_connections(t, n: int) -> None:
    """n connections in a row from the namespace to the echo port: each
    sends 16 numbered bytes, reads them back and closes; all must match."""
    code = f"""
import socket
bad = 0
for i in range({n}):
    s = socket.create_connection(('{t.pollux_ip}', 7), timeout=5)
    m = b'%016d' % i
    s.sendall(m)
    got = b''
    while len(got) < 16:
        b = s.recv(16 - len(got))
        if not b:
            break
        got += b
    bad += got != m
    s.close()
print(bad)
"""
    res = t.run(["python3", "-c", code], timeout=30 + n / 40)
    assert res.stdout.strip() == "0", (res.stdout, res.stderr)


class Capture:
    """tcpdump in the namespace for count frames matching expr (verbose);
    .out is what it printed once the with-block ends."""

    def __init__(self, t, count: int, expr: str) -> None:
        self.proc = subprocess.Popen(t.netns.argv(
            ["tcpdump", "-ni", t.ifname, "-c", str(count), "-v", expr]),
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        self.out = ""

    def __enter__(self) -> "Capture":
        time.sleep(1.0)  # tcpdump is listening
        return self

    def __exit__(self, *exc) -> None:
        try:
            if exc[0] is None:
                self.out, _ = self.proc.communicate(timeout=20)
        finally:
            if self.proc.poll() is None:
                self.proc.kill()
                self.proc.wait()


def reuse_conn_code(t, sport: int, dport: int) -> str:
    """Python source of conn(): a socket bound to sport connected to
    Pollux's dport, retrying while Linux holds sport in TIME_WAIT (it
    reuses such a port once its timestamp is a second old)."""
    return f"""
import errno, socket, time
def conn():
    for _ in range(60):
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(('{t.kernel_ip}', {sport}))
        try:
            s.connect(('{t.pollux_ip}', {dport}))
            return s
        except OSError as e:
            s.close()
            if e.errno != errno.EADDRNOTAVAIL:
                raise
            time.sleep(0.1)
    raise OSError('port never reusable')
"""


def nft_loss(t, per_mille: int, link: bool = True) -> None:
    """Random loss of what Pollux sends, on the kernel side (no netem
    here): an input-hook drop is a wire loss to the kernel's TCP. (An
    output-hook drop is not: the kernel sees the error and resends at
    once, so the other direction's loss comes from Pollux's fault stage,
    see loss_args())"""
    rules = f"""
table inet pxloss {{
  chain in {{
    type filter hook input priority 0;
    ip saddr {t.pollux_ip} meta l4proto tcp numgen random mod 1000 < {per_mille} counter drop
  }}
}}
"""
    res = t.run(["nft", "-f", "-"], input=rules, timeout=10)
    assert res.returncode == 0, res.stderr
    if link:
        no_gro(t)


def no_gro(t) -> None:
    """The input hook must see wire-sized segments, not GRO bursts."""
    res = t.run(["ethtool", "-K", t.ifname, "gro", "off"], timeout=10)
    assert res.returncode == 0, res.stderr


def nft_drops(t) -> int:
    out = t.run(["nft", "list", "table", "inet", "pxloss"], timeout=10).stdout
    m = re.search(r"counter packets (\d+)", out)
    assert m, out
    return int(m.group(1))


def loss_args(per_mille: int) -> list[str]:
    """Pollux's fault stage drops what the kernel sends, at the same rate."""
    return ["--fault-rx", f"drop={per_mille / 10}%", "--fault-seed", "11"]


def test_tcp_handshake_options(tap_echo):
    """MSS, window scale, timestamps and SACK-permitted, both ways.

    Steps: capture with tcpdump in the namespace while nc sends a line to
    the echo port.
    Verify: the kernel's SYN and Pollux's SYN-ACK both carry mss,
    sackOK, TS and wscale; the SYN-ACK echoes the SYN's timestamp and
    Pollux's MSS is 1460 (the port MTU less 40).
    """
    t = tap_echo
    with Capture(t, 2, f"tcp[tcpflags] & tcp-syn != 0 and host {t.pollux_ip}"
                 ) as cap:
        res = t.run(["nc", "-N", "-w", "3", t.pollux_ip, "7"], input="opts\n",
                    timeout=15)
        assert res.stdout == "opts\n", res
    out = cap.out
    syn = re.search(r"Flags \[S\].*options \[(.*?)\]", out)
    synack = re.search(r"Flags \[S\.\].*options \[(.*?)\]", out)
    assert syn and synack, out
    for opts in (syn.group(1), synack.group(1)):
        assert "sackOK" in opts and "TS val" in opts and "wscale" in opts, out
    assert "mss 1460" in synack.group(1), out
    tsval = re.search(r"TS val (\d+)", syn.group(1)).group(1)
    assert f"ecr {tsval}" in synack.group(1), out


def test_tcp_closed_port_rst(tap_echo):
    """A SYN to a closed port gets a RST.

    Steps: connect from the namespace to a port nobody listens on.
    Verify: the kernel reports connection refused; Pollux counts the
    segment under tcp.drop_no_conn and one tcp.rst_out.
    """
    t = tap_echo
    s0 = t.fresh_stats()
    code = (f"import socket\ntry:\n socket.create_connection(('{t.pollux_ip}',"
            f"4444),timeout=3)\n print('connected')\n"
            f"except ConnectionRefusedError:\n print('refused')")
    assert t.run(["python3", "-c", code], timeout=10).stdout.strip() == "refused"
    s1 = t.fresh_stats()
    assert s1.counter("tcp.drop_no_conn") - s0.counter("tcp.drop_no_conn") >= 1
    assert s1.counter("tcp.rst_out") - s0.counter("tcp.rst_out") >= 1


@pytest.mark.parametrize("tool", ["nc", "socat"])
def test_tcp_echo_tools(tap_echo, tool):
    """nc and socat get their bytes back over TCP.

    Steps: pipe 3 lines into `nc -N` / `socat -` connected to port 7.
    Verify: the tool prints exactly what it sent.
    """
    t = tap_echo
    msg = "".join(f"line {i} through {tool}\n" for i in range(3))
    if tool == "nc":
        cmd = ["nc", "-N", "-w", "3", t.pollux_ip, "7"]
    else:
        cmd = ["socat", "-t", "3", "-", f"TCP:{t.pollux_ip}:7"]
    res = t.run(cmd, input=msg, timeout=15)
    assert res.stdout == msg, (res.returncode, res.stdout, res.stderr)


def test_tcp_stream_clean_1gib(tap_echo):
    """1 GiB kernel -> Pollux -> kernel, byte-exact.

    Steps: the stream client sends 1 GiB of seeded data to the echo port
    while reading the echo.
    Verify: 1 GiB each way, equal SHA-256, within 4 minutes.
    """
    t = tap_echo
    rep = stream(t, 1 << 30)
    assert_exact(rep, 1 << 30)


@pytest.mark.parametrize("per_mille,nbytes", [(10, 1 << 30), (50, 1 << 30)])
def test_tcp_stream_loss(tap_echo_factory, per_mille, nbytes):
    """Byte-exact under random loss both ways (nftables, kernel side).

    Steps: drop per_mille/1000 of Pollux's segments with nftables in the
    namespace and of the kernel's with Pollux's fault stage; stream the
    data through the echo.
    Verify: equal SHA-256 in bounded time; both droppers dropped, Pollux
    retransmitted and queued data out of order.
    """
    if per_mille > 10:
        release_only("5 % loss over 1 GiB")
    t = tap_echo_factory(udp_ports=(), extra_args=loss_args(per_mille))
    nft_loss(t, per_mille)
    rep = stream(t, nbytes)
    assert_exact(rep, nbytes)
    st = t.fresh_stats()
    assert nft_drops(t) > 0
    assert st.counter("fault_rx.dropped") > 0
    assert st.counter("tcp.retrans") > 0
    assert st.counter("tcp.ooo_in") > 0


def lossy_runs(tap_echo_factory, modes, counters, nbytes=32 * MIB):
    """For each (name, extra pollux-echo args) in modes, one echo server
    at a time with 5 % loss each way (nftables for Pollux's segments, the
    fault stage for the kernel's): nbytes streamed through it, timed and
    byte-exact. Returns {name: secs, nftables drops and the tcp.*
    counters named}."""
    runs = {}
    for mode, extra in modes:
        t = tap_echo_factory(udp_ports=(), extra_args=loss_args(50) + extra)
        nft_loss(t, 50)
        t0 = time.monotonic()
        rep = stream(t, nbytes, timeout=600.0)
        secs = time.monotonic() - t0
        assert_exact(rep, nbytes)
        st = t.fresh_stats()
        runs[mode] = {"secs": round(secs, 1), "drops": nft_drops(t),
                      **{k: st.counter(f"tcp.{k}") for k in counters}}
        print(mode, runs[mode])
        # one app at a time: hugepages are shared with the module's app
        stopped = t.close()
        assert stopped.rc == 0 and not stopped.signalled, stopped
    return runs


def test_tcp_sack_recovery_vs_newreno(tap_echo_factory):
    """SACK recovery (RFC 6675) resends only the holes and beats recovery
    without SACK under 5 % loss each way, in the same run.

    Steps: two echo servers, one default (SACK on), one with --no-sack;
    each with 5 % loss of Pollux's segments (nftables) and of the
    kernel's (fault stage); stream 32 MiB through each, timed.
    Verify: both byte-exact; with SACK, recoveries ran on the scoreboard
    (tcp.sack_recoveries, tcp.sack_rexmit), Pollux resent at most 1.5
    segments per segment the link dropped, and the kernel reported
    (D-SACK) no more than 10 % of the resends as duplicates; the SACK run
    was faster than the run without.
    """
    release_only("a timed comparison")
    runs = lossy_runs(tap_echo_factory, (("sack", []), ("nosack", ["--no-sack"])),
                      ("retrans", "rto", "fast_retrans", "sack_recoveries",
                       "sack_rexmit", "dsack_in", "sack_skip", "undo",
                       "rto_rexmit"))
    s, n = runs["sack"], runs["nosack"]
    assert s["sack_recoveries"] > 0 and s["sack_rexmit"] > 0, runs
    assert n["sack_recoveries"] == 0 and n["sack_rexmit"] == 0, runs
    assert s["retrans"] <= 1.5 * s["drops"], runs
    assert s["dsack_in"] <= 0.10 * s["retrans"], runs
    assert s["secs"] < n["secs"], runs


def test_tcp_rack_vs_scoreboard(tap_echo_factory):
    """RACK (RFC 8985 6) finds lost resends without a timeout, against
    the Linux peer, in the same run as the scoreboard alone.

    Steps: two echo servers, one default (RACK on), one --no-rack; each
    with 5 % loss of Pollux's segments (nftables) and of the kernel's
    (fault stage), so resends are lost too; stream 32 MiB through each.
    Verify: both byte-exact; with RACK, lost resends were found by the
    clock (tcp.rack_lost_rtx) and the run had fewer timeouts (tcp.rto)
    than the run without, which has no way to find a lost resend but
    the RTO. Two runs of each, alternating, and the timeouts summed:
    one pair of 5 % loss runs can come out the wrong way (seen once in
    CI: 109 against 104; typically about 110 against 160).
    """
    release_only("a comparison of 5 % loss runs")
    runs = lossy_runs(tap_echo_factory, (
        ("rack", []), ("norack", ["--no-rack"]),
        ("rack2", []), ("norack2", ["--no-rack"])),
                      ("retrans", "rto", "sack_recoveries", "rack_lost",
                       "rack_lost_rtx", "rack_reo_timeouts", "tlp_probes",
                       "dsack_in"))
    for r, n in ((runs["rack"], runs["norack"]), (runs["rack2"], runs["norack2"])):
        assert r["rack_lost_rtx"] > 0, runs
        assert n["rack_lost"] == n["rack_lost_rtx"] == 0, runs
    assert (runs["rack"]["rto"] + runs["rack2"]["rto"] <
            runs["norack"]["rto"] + runs["norack2"]["rto"]), runs


MULTI = str(TOOLS / "tcp_multi.py")


def test_tcp_mbuf_pressure(tap_echo_factory):
    """A small mbuf pool and many streams: the stack slows down, recovers,
    and every stream stays byte-exact.

    Steps: pollux-echo with 4095 mbufs (1024 of them on the receive ring)
    and 256 KiB buffers; 64 kernel connections each push 4 MiB through
    the echo at once (their windows add up to 4 times the pool).
    Verify: all 64 streams byte-exact; the stack shed load (data
    dropped under tcp.drop_nomem while the pool was below its reserve)
    instead of locking up with every mbuf in a queue; afterwards no
    connection is left and the mbufs in use are back where they were.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--mbufs", "4095"])
    s0 = t.fresh_stats()
    res = t.run(["python3", MULTI, t.pollux_ip, "7", "64", str(4 * MIB), "3",
                 "300"], timeout=330)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    s1 = t.fresh_stats()
    assert rep["ok"] == 64, rep
    # It shed load: data dropped while the pool was short.
    assert s1.counter("tcp.drop_nomem") > s0.counter("tcp.drop_nomem"), \
        s1.dump()
    t.assert_tcp_clean(s0)


SLOW = str(TOOLS / "tcp_slow_readers.py")


def test_tcp_slow_readers(tap_echo_factory):
    """Slow readers cannot wedge the port (TCP review A.1): when clients
    that do not read hold the pool down to its reserve, a connection that
    holds little still gets its data in and its echo out.

    Steps: pollux-echo with 4095 mbufs and 256 KiB buffers; 40 kernel
    connections with a 4 KiB receive buffer each push 1 MiB and never
    read (the echo's send queue for each fills, then its receive queue);
    after 4 s a fresh connection echoes 1000 bytes; then the slow ones
    are reset.
    Verify: the pool did run short (tcp.drop_nomem); the fresh echo is
    byte-exact within 10 s; afterwards no connection is left and the
    mbufs are back.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--mbufs", "4095"])
    s0 = t.fresh_stats()
    res = t.run(["python3", SLOW, t.pollux_ip, "7", "40", str(MIB), "4"],
                timeout=60)
    assert res.returncode == 0, res.stderr
    rep = json.loads(res.stdout.strip().splitlines()[-1])
    s1 = t.fresh_stats()
    assert rep["slow"] == 40, rep
    assert s1.counter("tcp.drop_nomem") > s0.counter("tcp.drop_nomem"), rep
    assert rep["fresh"], rep
    # The slow ones end when the kernel's RSTs (or its answers to
    # Pollux's next probes, which back off) come in: up to 30 s.
    t.assert_tcp_clean(s0, timeout=30)


@pytest.mark.parametrize("spec,nbytes", [
    ("delay=25ms,reorder=10%", 1 << 30),
    ("dup=1%", 1 << 30),
    ("corrupt=0.1%", 1 << 30),
])
def test_tcp_stream_faults(tap_echo_factory, spec, nbytes):
    """Byte-exact with Pollux's fault stage on receive and transmit.

    Steps: start the echo with --fault-rx/--fault-tx SPEC (and 4 MiB
    buffers, for the 50 ms round trip of the delay case); stream through.
    Verify: equal SHA-256 in bounded time, and the fault counters show
    the faults happened (corruption is caught by the checksums).
    """
    t = tap_echo_factory(udp_ports=(), extra_args=[
        "--fault-rx", spec, "--fault-tx", spec, "--fault-seed", "7",
        "--tcp-bufs", str(4 * MIB)])
    rep = stream(t, nbytes, timeout=600.0)
    assert_exact(rep, nbytes)
    st = t.fresh_stats()
    kind = spec.split("=")[0]
    key = {"delay": "delayed", "dup": "duplicated", "corrupt": "corrupted"}[kind]
    assert st.counter(f"fault_rx.{key}") > 0
    if kind == "corrupt":
        assert st.counter("tcp.drop_bad_checksum") + \
            st.counter("ip.bad_checksum") > 0


def test_tcp_stream_zero_copy_tx(tap_echo_factory):
    """Zero-copy transmit (--tx-zc on: payloads chained as references to
    the send buffer's mbufs) stays byte-exact through loss, retransmission
    and duplication, and leaks nothing.

    Steps: echo with --tx-zc on, 1 % loss both ways (nftables on the
    kernel side, the fault stage on Pollux's receive) and 1 % duplicated
    transmits; stream 256 MiB through it; stop it.
    Verify: equal SHA-256; segments went out attached (tcp.zc_segs),
    some were retransmitted; exit 0 with no mbuf leaked.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=loss_args(10) + [
        "--tx-zc", "on", "--fault-tx", "dup=1%"])
    t.app.wait_for(re.compile(r"zero-copy tcp tx on"), 5)
    nft_loss(t, 10)
    rep = stream(t, 256 * MIB)
    assert_exact(rep, 256 * MIB)
    st = t.fresh_stats()
    assert st.counter("tcp.zc_segs") > 100000
    assert st.counter("tcp.retrans") > 0
    assert st.counter("fault_tx.duplicated") > 0
    res = t.stop()
    assert res.rc == 0 and res.counters["mbuf.leaked"] == 0, res.out + res.err


ODD_CLIENT = r"""
import socket, sys, threading
n, size = int(sys.argv[2]), int(sys.argv[3])
data = bytes((i * 7 + 1) % 251 for i in range(n * size))
s = socket.create_connection((sys.argv[1], 7), timeout=20)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
def writer():
    for i in range(n):
        s.sendall(data[i * size:(i + 1) * size])
w = threading.Thread(target=writer)
w.start()
got = bytearray()
while len(got) < len(data):
    b = s.recv(65536)
    if not b:
        break
    got += b
w.join()
print(bytes(got) == data, len(got))
"""


def test_tcp_zero_copy_odd_pieces(tap_echo_factory):
    """Checksums of segments chained from odd-sized pieces (issue 16).

    A segment sent by reference is a header mbuf and one mbuf per piece
    of the send buffer it covers; the echo's send buffer holds what came
    in, so 1001-byte writes from the kernel make pieces of odd length,
    and a piece after one starts at an odd offset of the checksummed
    range. net_tap's transmit checksum (software, in DPDK 22.11's PMD)
    gets such chains wrong, as does rte_raw_cksum_mbuf(): the kernel
    dropped the segments as corrupt (InCsumErrors) and the stream
    stalled. Such pieces are now copied, not chained.

    Steps: echo with --tx-zc on; a kernel client with TCP_NODELAY writes
    3000 messages of 1001 bytes from one thread and reads the echo from
    another.
    Verify: byte-exact; segments went out attached (tcp.zc_segs); the
    kernel counted no checksum error (Tcp InCsumErrors).
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--tx-zc", "on"])
    t.app.wait_for(re.compile(r"zero-copy tcp tx on"), 5)
    k0 = snmp(t.ns, "Tcp")
    s0 = t.fresh_stats()
    res = t.run(["python3", "-c", ODD_CLIENT, t.pollux_ip, "3000", "1001"],
                timeout=90)
    k1 = snmp(t.ns, "Tcp")
    s1 = t.fresh_stats()
    errs = k1["InCsumErrors"] - k0["InCsumErrors"]
    zc = s1.counter("tcp.zc_segs") - s0.counter("tcp.zc_segs")
    print(res.stdout.strip(), "InCsumErrors", errs, "zc_segs", zc)
    assert res.stdout.split()[:1] == ["True"], (res.stdout, res.stderr, errs)
    assert errs == 0 and zc > 0, (errs, zc)


def _kernel_echo_server(t, port: int) -> None:
    """socat echo server in the namespace, in the background."""
    t.netns.exec(["sh", "-c", f"socat TCP-LISTEN:{port},reuseaddr,fork "
                  f"EXEC:cat >/dev/null 2>&1 & echo $! > /tmp/{t.ns}-socat.pid"],
                 timeout=10)


def _kill_kernel_echo(t) -> None:
    pidfile = Path(f"/tmp/{t.ns}-socat.pid")
    if pidfile.exists():
        t.netns.exec(["sh", "-c", f"pkill -P $(cat {pidfile}); kill $(cat {pidfile})"],
                     timeout=10)
        pidfile.unlink()


@pytest.mark.parametrize("loss", [0, 10])
def test_tcp_pollux_client(tap_echo_factory, loss):
    """Pollux connects to a kernel echo server and checks every byte.

    Steps: socat echo server on port 7 in the namespace; for the second
    case 1% loss each way (nftables for Pollux's segments, the fault
    stage for the kernel's); pollux-echo --tcp-client streams 1 GiB.
    Verify: the client's report says OK with every byte back.
    """
    nbytes = 1 << 30
    made = []

    def before(t):
        made.append(t)
        _kernel_echo_server(t, 7)
        if loss:
            nft_loss(t, loss, link=False)

    try:
        t = tap_echo_factory(before_app=before, udp_ports=(), extra_args=[
            "--tcp-client", "{kernel_ip}:7", "--bytes", str(nbytes),
            "--client-ms", "400000"] + (loss_args(loss) if loss else []))
        if loss:
            no_gro(t)
        m = t.app.wait_for(re.compile(r"tcp-client: .*"), 450)
        assert m.group(0).endswith(" OK"), m.group(0)
        assert f"received={nbytes}" in m.group(0), m.group(0)
        if loss:
            assert nft_drops(t) > 0
    finally:
        for t in made:
            _kill_kernel_echo(t)


def test_tcp_half_close(tap_echo):
    """The kernel half-closes; Pollux still sends what it owes, then FIN.

    Steps: send 100 kB, shutdown(SHUT_WR), then read.
    Verify: all 100 kB come back, then end of stream (Pollux closed after
    echoing).
    """
    t = tap_echo
    rep = stream(t, 100_000, timeout=20)
    assert_exact(rep, 100_000)


def test_tcp_many_short_connections(tap_echo):
    """10 000 short connections in a row leave nothing behind.

    Steps: from the namespace, 10 000 times: connect, send 16 bytes,
    read them back, close.
    Verify: every echo right; afterwards Pollux has no connection block
    left and its mbufs in use are back to where they were.
    """
    t = tap_echo
    s0 = t.fresh_stats()
    short_connections(t, 10000)
    s1 = t.assert_tcp_clean(s0)
    assert s1.counter("tcp.passive_opens") - s0.counter("tcp.passive_opens") >= 10000


@pytest.mark.parametrize("mode", ["pp", "tp"])
def test_tcp_sockperf(tap_echo, mode):
    """sockperf ping-pong and throughput over TCP complete and report.

    Steps: `sockperf pp|tp --tcp -i <pollux> -p 11111 -t 2` in the
    namespace.
    Verify: it exits 0 and prints its summary (latency percentiles for
    pp, a message rate for tp).
    """
    t = tap_echo
    if shutil.which("sockperf") is None:
        pytest.fail("sockperf not installed (Debian: sockperf)")
    res = t.run(["sockperf", mode, "--tcp", "-i", t.pollux_ip, "-p", "11111",
                 "-t", "2"], timeout=60)
    out = res.stdout + res.stderr
    assert res.returncode == 0, out
    if mode == "pp":
        assert "percentile 99.000" in out, out
    else:
        assert re.search(r"Summary: Message Rate is \d+", out), out


def _chargen_expected(n: int) -> bytes:
    """pollux-echo's chargen pattern (tcp_echo.c pattern())."""
    return bytes(((i * 131 + (i >> 8) * 7 + (i >> 16)) & 0xff)
                 for i in range(n))


def test_tcp_zero_window_slow_reader(tap_echo):
    """A slow reader closes the window; Pollux probes it and resumes.

    Steps: a kernel socket with a 4 KiB receive buffer connects to the
    chargen port and does not read for 1.5 s, then reads 2 MiB slowly
    (small reads with pauses), then fast.
    Verify: Pollux sent zero-window probes (tcp.zero_wnd_probes grows);
    the 2 MiB read is exactly chargen's pattern from byte 0 (nothing lost,
    repeated or reordered across the closed window).
    """
    t = tap_echo
    s0 = t.fresh_stats()
    n = 2 << 20
    code = f"""
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
s.connect(('{t.pollux_ip}', 19))
time.sleep(1.5)
got = bytearray()
while len(got) < {n}:
    b = s.recv(min(65536, {n} - len(got)))
    if not b:
        break
    got += b
    if len(got) < 64 * 1024:
        time.sleep(0.05)
s.close()
sys.stdout.buffer.write(bytes(got))
"""
    res = t.run(["python3", "-c", code], timeout=60, text=False)
    data = res.stdout
    assert len(data) == n, (len(data), res.stderr)
    assert data == _chargen_expected(n)
    s1 = t.fresh_stats()
    assert s1.counter("tcp.zero_wnd_probes") > s0.counter("tcp.zero_wnd_probes")


def test_tcp_two_lcores(tap_echo_factory):
    """Connections spread over two lcores and each is served where it
    lands.

    Steps: pollux-echo with two lcores; 400 short connections from the
    kernel (different source ports, so different RSS hashes).
    Verify: every echo right; both lcores accepted connections and
    together all of them; no connection block is left.

    (net_tap without rte_flow has no RSS: the kernel picks a queue per
    flow and learns it from the queue Pollux answers on, so a flow's
    first segments may come in on the other lcore and be steered over
    the mailbox after later ones came in directly. A stray late segment
    of a closed connection then gets a RST, as RFC 9293 says, so resets
    are not counted here; doc/tcp.md, known gaps.)
    """
    t = tap_echo_factory(lcores="0@0,1@1", udp_ports=())
    short_connections(t, 400)
    st = t.fresh_stats()
    p0 = st.counter("lcore0.tcp_passive_opens")
    p1 = st.counter("lcore1.tcp_passive_opens")
    assert p0 > 0 and p1 > 0 and p0 + p1 >= 400, (p0, p1)
    deadline = time.monotonic() + 5
    while st.counter("tcp.conns") != 0 and time.monotonic() < deadline:
        time.sleep(0.1)
        st = t.fresh_stats()
    assert st.counter("tcp.conns") == 0, st.dump()


def test_tcp_abort_both_ways(tap_echo):
    """Resets both ways leave nothing behind.

    Steps: (1) the kernel aborts a connection (SO_LINGER 0, close) with
    data in flight; (2) the kernel sends the sockperf port a malformed
    frame followed by 1 MiB: the server gives up and closes with unread
    data, which RFC 1122 4.2.2.13 answers with a RST.
    Verify: Pollux counts the kernel's RST and frees the connection; the
    kernel sees ECONNRESET from Pollux; no connection block is left.
    """
    t = tap_echo
    s0 = t.fresh_stats()
    code = f"""
import socket, struct, time
s = socket.create_connection(('{t.pollux_ip}', 7))
s.sendall(b'x' * 100000)
s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack('ii', 1, 0))
s.close()
s = socket.create_connection(('{t.pollux_ip}', 11111))
try:
    s.sendall(b'\\0' * 14 + b'y' * (1 << 20))
    time.sleep(0.5)
    s.sendall(b'z' * 65536)
    while s.recv(65536):
        pass
    print('no reset')
except (ConnectionResetError, BrokenPipeError):
    print('reset')
"""
    res = t.run(["python3", "-c", code], timeout=30)
    assert res.stdout.strip() == "reset", (res.stdout, res.stderr)
    deadline = time.monotonic() + 5
    while True:
        s1 = t.fresh_stats()
        if s1.counter("tcp.conns") == 0 or time.monotonic() > deadline:
            break
        time.sleep(0.1)
    assert s1.counter("tcp.rst_in") > s0.counter("tcp.rst_in")
    assert s1.counter("tcp.rst_out") > s0.counter("tcp.rst_out")
    assert s1.counter("tcp.conns") == 0


def test_tcp_time_wait_port_reuse(tap_echo):
    """A client port in TIME_WAIT is used again at once.

    Steps: with net.ipv4.tcp_tw_reuse=1 in the namespace, a kernel socket
    bound to one source port connects to the echo, echoes a line and
    closes first (its side goes to TIME_WAIT); five times in a row from
    the same port.
    Verify: every connection is accepted and echoes (Pollux takes the new
    SYN for the old 4-tuple, RFC 6191 with timestamps).
    """
    t = tap_echo
    res = t.run(["sysctl", "-w", "net.ipv4.tcp_tw_reuse=1"], timeout=10)
    assert res.returncode == 0, res.stderr
    code = reuse_conn_code(t, 45123, 7) + """
ok = 0
for i in range(5):
    s = conn()
    s.sendall(b'again %d' % i)
    ok += s.recv(64) == b'again %d' % i
    s.close()
print(ok)
"""
    res = t.run(["python3", "-c", code], timeout=30)
    assert res.stdout.strip() == "5", (res.stdout, res.stderr)


def test_tcp_pollux_client_refused(tap_echo_factory):
    """Pollux connect() to a closed kernel port is refused.

    Steps: pollux-echo --tcp-client to a kernel port nobody listens on.
    Verify: the client reports "Connection refused" (-ECONNREFUSED from
    the kernel's RST) and exits 1.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=[
        "--tcp-client", "{kernel_ip}:4444", "--client-ms", "10000"])
    m = t.app.wait_for(re.compile(r"tcp-client: .*"), 30)
    assert "Connection refused" in m.group(0), m.group(0)
    res = t.stop()
    assert res.rc == 1, res.out + res.err


@pytest.mark.parametrize("icmp,expect", [
    ("port-unreachable", "Connection refused"),
    ("host-unreachable", "No route to host"),
    ("net-unreachable", "Network is unreachable"),
])
def test_tcp_connect_icmp_reject_like_linux(tap_echo_factory, icmp, expect):
    """An ICMP error to a SYN ends connect() at once, with the error a
    Linux client gets for the same ICMP (RFC 1122 4.2.3.9; issue 16).

    Steps: in the namespace, nftables answers TCP to port 4445 with
    `reject with icmp type ICMP`; pollux-echo --tcp-client connects to
    the kernel's port 4445, and a kernel client in the namespace to
    127.0.0.1:4445 (the same rule, over lo).
    Verify: both fail with the same error text within 5 s (not after
    the SYN retries, minutes), and Pollux counted the ICMP error
    (tcp.icmp_err=1 in its exit counters).
    """
    rules = f"""
table inet pxreject {{
  chain in {{
    type filter hook input priority 0;
    tcp dport 4445 reject with icmp type {icmp}
  }}
}}
"""

    def reject(t):
        # The kernel client reaches its own address over lo.
        assert t.run(["ip", "link", "set", "lo", "up"],
                     timeout=10).returncode == 0
        assert t.run(["nft", "-f", "-"], input=rules,
                     timeout=10).returncode == 0

    t = tap_echo_factory(before_app=reject, udp_ports=(), extra_args=[
        "--tcp-client", "{kernel_ip}:4445", "--client-ms", "10000"])
    t0 = time.monotonic()
    m = t.app.wait_for(re.compile(r"tcp-client: .*"), 30)
    pollux_s = time.monotonic() - t0
    code = f"""
import os, socket, time
s = socket.socket()
t0 = time.monotonic()
try:
    s.connect(("127.0.0.1", 4445))
    print("connected")
except OSError as e:
    print(os.strerror(e.errno), round(time.monotonic() - t0, 3))
"""
    res = t.run(["python3", "-c", code], timeout=30)
    linux = res.stdout.strip()
    assert linux.startswith(expect), (linux, res.stderr)
    assert float(linux.split()[-1]) < 5.0, linux
    assert expect in m.group(0), (m.group(0), linux)
    assert pollux_s < 5.0, pollux_s  # the app's start-up included
    res = t.stop()
    assert res.rc == 1 and "tcp.icmp_err=1" in res.out, res.out + res.err
    t.run(["nft", "delete", "table", "inet", "pxreject"], timeout=10)


def snmp(ns, proto: str) -> dict[str, int]:
    """The `proto` line pair of /proc/net/snmp inside namespace ns."""
    res = netns.run(["ip", "netns", "exec", ns, "cat", "/proc/net/snmp"],
                    timeout=10, check=True)
    rows = [line.split() for line in res.stdout.splitlines()
            if line.startswith(proto + ":")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def routed_far_host(far, mtu: int, drop_icmp: bool = False):
    """before_app for a TapEcho: its namespace becomes a router (forwarding
    on) to a second namespace, far, over a veth of `mtu` bytes; far
    reaches Pollux's subnet through it and advertises an MSS of 1460 on
    that route, so the MTU of the narrow link is the path's and only the
    router knows it. drop_icmp: the router's ICMP errors are filtered
    (a PMTU black hole)."""
    def setup(t):
        far.create()
        vr, vf = netns.unique_ifname(), netns.unique_ifname()
        assert t.run(["ip", "link", "add", vr, "mtu", str(mtu), "type",
                      "veth", "peer", "name", vf, "mtu", str(mtu)],
                     timeout=10).returncode == 0
        assert t.run(["ip", "link", "set", vf, "netns", far.name],
                     timeout=10).returncode == 0
        t.netns.configure(vr, far.cidr(1))
        far.configure(vf, far.cidr(2))
        assert t.run(["sysctl", "-qw", "net.ipv4.ip_forward=1"],
                     timeout=10).returncode == 0
        assert far.exec(["ip", "route", "add", t.netns.cidr(0), "via",
                         far.ip(1), "dev", vf, "advmss", "1460"],
                        timeout=10).returncode == 0
        if drop_icmp:
            rules = """
table ip pxbh {
  chain out {
    type filter hook output priority 0;
    icmp type destination-unreachable drop
  }
}
"""
            assert t.run(["nft", "-f", "-"], input=rules,
                         timeout=10).returncode == 0
    return setup


def far_stream(far, t, nbytes: int, timeout: float = 120.0) -> dict:
    """tcp_stream.py from the far host to Pollux's echo port."""
    res = far.exec(["python3", STREAM, t.pollux_ip, "7", str(nbytes), "1",
                    str(timeout)], timeout=timeout + 30)
    assert res.returncode == 0, res.stderr
    return json.loads(res.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("blackhole", [False, True],
                         ids=["icmp", "blackhole"])
def test_tcp_pmtu_router(tap_echo_factory, blackhole):
    """Path MTU discovery through a Linux router with a narrower next hop
    (RFC 1191; RFC 4821 5.5 for the black hole; issue 16).

    Steps: the kernel namespace routes to a far namespace over a
    1280-byte link; the far host advertises MSS 1460 (route advmss), so
    Pollux's echo starts with 1500-byte segments. A kernel client there
    streams 4 MiB through the echo. With blackhole, the router's ICMP
    errors are dropped by nftables.
    Verify: the stream is byte-exact; the far host reassembled nothing
    (Pollux sent with DF and never relied on the router fragmenting);
    with ICMP, Pollux counted tcp.pmtu_lowered (and no black-hole
    fallback), the router sent fragmentation-needed; without ICMP,
    tcp.pmtu_blackhole did it.
    """
    far = netns.NetNs()
    try:
        t = tap_echo_factory(
            before_app=routed_far_host(far, 1280, drop_icmp=blackhole),
            udp_ports=(), extra_args=["--gw", "{kernel_ip}"])
        router0 = snmp(t.ns, "Icmp")
        rep = far_stream(far, t, 4 * MIB)
        assert_exact(rep, 4 * MIB)
        assert snmp(far.name, "Ip")["ReasmReqds"] == 0
        s = t.fresh_stats()
        assert s.counter("ip.frag_tx") == 0, s.dump()
        out_dest_unreach = (snmp(t.ns, "Icmp")["OutDestUnreachs"] -
                            router0["OutDestUnreachs"])
        if blackhole:
            assert s.counter("tcp.pmtu_blackhole") >= 1, s.dump()
            assert s.counter("tcp.pmtu_lowered") == 0, s.dump()
        else:
            assert out_dest_unreach >= 1
            assert s.counter("tcp.pmtu_lowered") >= 1, s.dump()
            assert s.counter("tcp.pmtu_blackhole") == 0, s.dump()
    finally:
        far.delete()


def test_tcp_sack_blocks(tap_echo_factory):
    """Pollux's ACKs carry SACK blocks for data it holds out of order.

    Steps: Pollux drops 3% of what it receives (fault stage); capture
    Pollux's segments in the namespace while 8 MiB go through the echo.
    Verify: some of Pollux's ACKs carry a SACK option; the stream is
    byte-exact.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=loss_args(30))
    with Capture(t, 5, f"src host {t.pollux_ip} and tcp[12] > 0x80") as cap:
        rep = stream(t, 8 * MIB, timeout=60)
    out = cap.out
    assert_exact(rep, 8 * MIB)
    assert re.search(r"sack \d+ \{\d+:\d+\}", out), out


def netstat(t, proto: str = "TcpExt") -> dict[str, int]:
    """The `proto` line pair of /proc/net/netstat in t's namespace."""
    res = t.run(["cat", "/proc/net/netstat"], timeout=10, check=True)
    rows = [line.split() for line in res.stdout.splitlines()
            if line.startswith(proto + ":")]
    return {k: int(v) for k, v in zip(rows[0][1:], rows[1][1:])}


def test_tcp_dsack_to_linux(tap_echo_factory):
    """Pollux reports data that came twice with D-SACK, and Linux takes
    it as such (RFC 2883; issue 16).

    Steps: Pollux's fault stage duplicates 2 % of what it receives; 8 MiB
    go through the echo from a kernel client.
    Verify: byte-exact; Pollux counted D-SACK blocks sent
    (tcp.dsack_out) and the kernel counted D-SACKs received
    (TcpExt TCPDSACKRecv, or TCPDSACKOfoRecv), at least one per 4
    that Pollux sent (some ride on ACKs the kernel sees as old).
    """
    t = tap_echo_factory(udp_ports=(), extra_args=[
        "--fault-rx", "dup=2%", "--fault-seed", "5"])
    k0 = netstat(t)
    rep = stream(t, 8 * MIB, timeout=60)
    assert_exact(rep, 8 * MIB)
    k1 = netstat(t)
    s = t.fresh_stats()
    sent = s.counter("tcp.dsack_out")
    got = (k1["TCPDSACKRecv"] - k0["TCPDSACKRecv"] +
           k1.get("TCPDSACKOfoRecv", 0) - k0.get("TCPDSACKOfoRecv", 0))
    assert sent > 0, s.dump()
    assert got >= max(1, sent // 4), (got, sent)


def nft_ce(t, percent: int) -> None:
    """nftables in t's namespace marks CE (RFC 3168) on a share of the
    ECT packets each way: what comes from Pollux (input hook: a router
    before the kernel marked it) and what the kernel sends it (output
    hook: a router after); and counts Pollux's ECT(0) packets."""
    rules = f"""
table ip pxce {{
  chain in {{
    type filter hook prerouting priority 0;
    ip saddr {t.pollux_ip} ip ecn ect0 counter
    ip saddr {t.pollux_ip} ip ecn ect0 numgen random mod 100 < {percent} ip ecn set ce
  }}
  chain out {{
    type filter hook output priority 0;
    ip daddr {t.pollux_ip} ip ecn ect0 numgen random mod 100 < {percent} ip ecn set ce
  }}
}}
"""
    res = t.run(["nft", "-f", "-"], input=rules, timeout=10)
    assert res.returncode == 0, res.stderr
    no_gro(t)


def nft_ect_from_pollux(t) -> int:
    out = t.run(["nft", "list", "chain", "ip", "pxce", "in"], timeout=10).stdout
    m = re.search(r"counter packets (\d+)", out)
    assert m, out
    return int(m.group(1))


@pytest.mark.parametrize("pollux_ecn", [True, False], ids=["ecn", "off"])
def test_tcp_ecn_with_linux(tap_echo_factory, pollux_ecn):
    """ECN (RFC 3168; issue 16) with the kernel's, routers marking CE.

    Steps: the kernel asks for ECN (net.ipv4.tcp_ecn=1); Pollux with
    --ecn, or without; nftables marks CE on 3 % of the ECT packets both
    ways (nft_ce()); 8 MiB through the echo.
    Verify: byte-exact either way. With --ecn: the connection agreed
    (tcp.ecn_conns), Pollux's data went out ECT(0), Pollux saw CE marks
    (tcp.ecn_ce_in) and echoed them (the kernel counted delivered CE,
    TcpExt TCPDeliveredCE), and cut its window for the kernel's echoes
    (tcp.ecn_reduce) with nothing resent for them. Without it: no
    agreement, no ECT from Pollux, no CE either way.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--ecn"] if pollux_ecn
                         else [])
    res = t.run(["sysctl", "-qw", "net.ipv4.tcp_ecn=1"], timeout=10)
    assert res.returncode == 0, res.stderr
    nft_ce(t, 3)
    k0 = netstat(t)
    rep = stream(t, 8 * MIB, timeout=60)
    assert_exact(rep, 8 * MIB)
    k1 = netstat(t)
    s = t.fresh_stats()
    ect = nft_ect_from_pollux(t)
    delivered_ce = k1["TCPDeliveredCE"] - k0["TCPDeliveredCE"]
    print(f"ECT(0) from Pollux {ect}, ecn_conns "
          f"{s.counter('tcp.ecn_conns')}, ce_in {s.counter('tcp.ecn_ce_in')}, "
          f"reduce {s.counter('tcp.ecn_reduce')}, kernel DeliveredCE "
          f"{delivered_ce}, retrans {s.counter('tcp.retrans')}")
    if pollux_ecn:
        assert s.counter("tcp.ecn_conns") >= 1, s.dump()
        assert ect > 1000, ect
        assert s.counter("tcp.ecn_ce_in") > 0, s.dump()
        assert s.counter("tcp.ecn_reduce") > 0, s.dump()
        assert delivered_ce > 0, (k0, k1)
    else:
        assert s.counter("tcp.ecn_conns") == 0, s.dump()
        assert ect == 0
        assert s.counter("tcp.ecn_ce_in") == 0, s.dump()
        assert delivered_ce == 0


TFO_CLIENT = """
import socket, struct, sys
def once(msg):
    s = socket.socket()
    # blocking (a Python timeout would make sendto() EINPROGRESS)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVTIMEO, struct.pack("ll", 5, 0))
    s.sendto(msg, socket.MSG_FASTOPEN, (sys.argv[1], 7))
    got = b""
    while len(got) < len(msg):
        b = s.recv(4096)
        if not b:
            break
        got += b
    s.close()
    return got
msgs = [b"first request", b"second request", b"third request"]
print(all(once(m) == m for m in msgs))
"""


@pytest.mark.parametrize("pollux_tfo", [True, False], ids=["fastopen", "off"])
def test_tcp_fastopen_with_linux(tap_echo_factory, pollux_tfo):
    """TCP Fast Open (RFC 7413; issue 16), Pollux the server, the
    kernel's TFO client (net.ipv4.tcp_fastopen=1, sendto MSG_FASTOPEN).

    Steps: three connections to the echo port from one Python client,
    each sending its request with MSG_FASTOPEN: the first SYN asks for
    a cookie (its data goes after the handshake), the next two carry
    the cookie and the data.
    Verify: every echo is exact. With --fastopen: Pollux gave one cookie
    (tcp.tfo_cookies_sent) and took the data of the two SYNs that had it
    (tcp.tfo_accepted), and the kernel counted its SYN data acknowledged
    (TcpExt TCPFastOpenActive +2). Without: no cookie, no SYN data taken,
    the kernel's TFO attempts fail over to a plain handshake
    (TCPFastOpenActive +0).
    """
    t = tap_echo_factory(udp_ports=(), extra_args=["--fastopen"] if pollux_tfo
                         else [])
    res = t.run(["sysctl", "-qw", "net.ipv4.tcp_fastopen=1"], timeout=10)
    assert res.returncode == 0, res.stderr
    k0 = netstat(t)
    s0 = t.fresh_stats()
    res = t.run(["python3", "-c", TFO_CLIENT, t.pollux_ip], timeout=30)
    assert res.stdout.strip() == "True", (res.stdout, res.stderr)
    k1 = netstat(t)
    s1 = t.fresh_stats()
    d = {k: s1.counter(f"tcp.{k}") - s0.counter(f"tcp.{k}") for k in (
        "tfo_cookies_sent", "tfo_accepted", "syn_data_dropped")}
    active = k1["TCPFastOpenActive"] - k0["TCPFastOpenActive"]
    print(d, "kernel TCPFastOpenActive", active)
    if pollux_tfo:
        assert d == {"tfo_cookies_sent": 1, "tfo_accepted": 2,
                     "syn_data_dropped": 0}, d
        assert active == 2, (k0, k1)
    else:
        assert d["tfo_cookies_sent"] == d["tfo_accepted"] == 0, d
        assert active == 0, (k0, k1)


@pytest.mark.parametrize("pollux_gro", [True, False], ids=["gro", "off"])
def test_tcp_gro_with_linux(tap_echo_factory, pollux_gro):
    """Receive coalescing (GRO; issue 16) on a stream from the kernel.

    Steps: the stream client sends 64 MiB of seeded data to the echo
    port while reading the echo, against pollux-echo as it comes and
    with --no-gro.
    Verify: byte-exact both ways. With GRO: segments were joined
    (tcp.gro_merged), at least one in ten of those received, and every
    segment still counted in tcp.seg_in. With --no-gro: none joined.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=[] if pollux_gro
                         else ["--no-gro"])
    s0 = t.fresh_stats()
    rep = stream(t, 64 * MIB)
    assert_exact(rep, 64 * MIB)
    s1 = t.fresh_stats()
    d = {k: s1.counter(f"tcp.{k}") - s0.counter(f"tcp.{k}")
         for k in ("gro_merged", "seg_in", "seg_out", "bytes_in")}
    print(d)
    assert d["bytes_in"] >= 64 * MIB, d
    assert d["seg_in"] * 1460 >= 64 * MIB, d
    if pollux_gro:
        assert d["gro_merged"] * 10 >= d["seg_in"], d
    else:
        assert d["gro_merged"] == 0, d


def test_tcp_discard_sink(tap_echo):
    """The bulk sink takes a stream and says nothing back.

    Steps: nc -N sends 64 MiB from /dev/zero to the discard port (9).
    Verify: nc exits 0 with no output; Pollux counted at least 64 MiB in.
    """
    t = tap_echo
    s0 = t.fresh_stats()
    res = t.run(["sh", "-c", f"head -c {64 * MIB} /dev/zero | "
                 f"nc -N -w 10 {t.pollux_ip} 9"], timeout=60)
    assert res.returncode == 0 and res.stdout == "", (res.stdout, res.stderr)
    s1 = t.fresh_stats()
    assert s1.counter("tcp.bytes_in") - s0.counter("tcp.bytes_in") >= 64 * MIB


def test_tcp_simultaneous_close_and_tw_reuse(tap_echo_factory):
    """Both sides close at once; then the same 4-tuple is used again
    while Pollux's side is still in TIME_WAIT.

    Steps: 25 ms each way (fault stage), MSL 5 s. The kernel sends
    the sockperf port a malformed frame (Pollux closes on it) and shuts
    down its own side 40 ms later, so the two FINs cross on the wire.
    Within Pollux's TIME_WAIT the kernel (tcp_tw_reuse=1) connects again
    from the same port and does a sockperf ping.
    Verify: both sides end in TIME_WAIT (the kernel's in ss; Pollux's
    connection block outlives the exchange, then goes after 2 MSL), no
    RST either way; the new connection is accepted over the old TIME_WAIT
    (newer timestamp, RFC 6191) and answers the ping.
    """
    t = tap_echo_factory(udp_ports=(), extra_args=[
        "--fault-rx", "delay=25ms", "--fault-tx", "delay=25ms",
        "--msl-ms", "5000"])
    assert t.run(["sysctl", "-w", "net.ipv4.tcp_tw_reuse=1"],
                 timeout=10).returncode == 0
    s0 = t.fresh_stats()
    code = reuse_conn_code(t, 45200, 11111) + f"""
import struct, subprocess
s = conn()
s.sendall(b'\\0' * 14)
time.sleep(0.04)
s.shutdown(socket.SHUT_WR)
eof = s.recv(16) == b''
time.sleep(0.1)
ss = subprocess.run(['ss', '-tan', 'dst', '{t.pollux_ip}'],
                    capture_output=True, text=True).stdout
s.close()
print('eof' if eof else 'data', 'tw' if 'TIME-WAIT' in ss else 'no-tw')
time.sleep(0.2)
s = conn()
s.sendall(struct.pack('>QHI', 7, 3, 14))
r = s.recv(14)
print('pong' if r == struct.pack('>QHI', 7, 2, 14) else repr(r))
s.close()
"""
    res = t.run(["python3", "-c", code], timeout=60)
    lines = res.stdout.split()
    assert lines[:3] == ["eof", "tw", "pong"], (res.stdout, res.stderr)
    s1 = t.fresh_stats()
    # Pollux's first block was still in TIME_WAIT when the second
    # connection came, and the SYN took it over.
    assert s1.counter("tcp.tw_reuse") - s0.counter("tcp.tw_reuse") == 1
    assert s1.counter("tcp.passive_opens") - s0.counter("tcp.passive_opens") == 2
    assert s1.counter("tcp.rst_in") == s0.counter("tcp.rst_in")
    assert s1.counter("tcp.rst_out") == s0.counter("tcp.rst_out")
