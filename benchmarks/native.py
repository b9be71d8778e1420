"""The cost of a native call through a generated proxy, and of a native call into Python
through an exposed vtable, each against the same call hand-written.

    python benchmarks/native.py [--calls N] [--rounds R] [--only proxy|expose]

CPU time per call, N calls per round, R rounds, A and B alternating, the median round quoted.

**proxy** needs Debian's ``libvkd3d-utils1`` (+ ``mesa-vulkan-drivers``) and the corpus at
``../shared/corpus/mingw-w64``: it generates the d3d12 bindings and
``examples/vkd3d/vkd3d.idl`` into a temporary folder, creates a device, and times

1. ``device.GetNodeCount()`` through the proxy, against a hand-written libffi call of the
   same slot (a prepared ``ffi_cif`` with FFI_WIN64, argument buffers built once, the
   ``ffi_call`` that ctypes binds) — the target is a ratio <= 2;
2. ``device.GetResourceAllocationInfo(0, 1, desc)`` (a struct in by pointer, a struct back
   through the hidden result pointer), with ``desc`` a ctypes structure, a generated
   dataclass (converted on every call) and hand-written: the cost of marshalling a struct.

**expose** needs a C compiler: it builds the C test library of ``tests/native`` (both
conventions) and generates its package, and times a C loop calling a Python object:

3. ``LONG Increment(LONG)`` (slot 7 of ITestObject) of a Python implementation given to C by
   ``native.expose``, against the same slot of a hand-made vtable whose entry is a ctypes
   callback (``CFUNCTYPE(c_int32, c_void_p, c_int32)``: the least Python can do, and only in
   the platform's convention);
4. ``HRESULT Twice(LONG, [out, retval] LONG*)`` of ITestDual by vtable, and the same through
   ``IDispatch::Invoke`` (a VARIANT in, one back): figures, with no hand-written twin.
"""

from __future__ import annotations

import argparse
import ctypes
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
CORPUS = ROOT.parent / "shared" / "corpus" / "mingw-w64"
TESTS = ROOT / "tests" / "native"


def generate(out: Path) -> None:
    """d3d12 (with its imports) and the vkd3d module, stubs and ABI facts, into *out*."""
    import idlgen

    idlgen.generate(
        [str(CORPUS / "include" / "d3d12.idl"), str(ROOT / "examples" / "vkd3d" / "vkd3d.idl")],
        out,
        include_dirs=[str(CORPUS / "include"), str(CORPUS / "crt")],
        defines=["BOOL=WINBOOL"],
        with_imports=True,
        emit=["stubs", "events", "abi"],
    )


def per_call(fn: Callable[[], object], calls: int) -> float:
    """CPU nanoseconds per call of *fn* over *calls* calls."""
    start = time.process_time()
    for _ in range(calls):
        fn()
    return (time.process_time() - start) / calls * 1e9


def compare(
    name: str,
    a: Callable[[], object],
    b: Callable[[], object],
    calls: int,
    rounds: int,
    *,
    per_round: int = 1,
    label: str = "proxy",
) -> None:
    """Print A (idlgen) and B (hand-written) per call, and their ratio (median of rounds).

    *per_round* is how many calls one call of A or B makes (a C loop)."""
    ta, tb = [], []
    for _ in range(rounds):
        ta.append(per_call(a, calls) / per_round)
        tb.append(per_call(b, calls) / per_round)
    ratios = [x / y for x, y in zip(ta, tb, strict=True)]
    a, b, ratio = statistics.median(ta), statistics.median(tb), statistics.median(ratios)
    print(
        f"{name:<42} {label} {a:7.0f} ns  hand-written {b:7.0f} ns  ratio {ratio:.2f}"
        f" (rounds: {min(ratios):.2f}..{max(ratios):.2f})"
    )


def figure(name: str, a: Callable[[], object], calls: int, rounds: int, per_round: int) -> None:
    """Print the median time per call of A (a C loop of *per_round* calls)."""
    times = [per_call(a, calls) / per_round for _ in range(rounds)]
    print(f"{name:<42} expose {statistics.median(times):7.0f} ns")


def bench_proxy(options: argparse.Namespace) -> int:
    """Python -> native: the proxy of vkd3d's device against hand-written libffi calls."""
    try:
        ctypes.CDLL("libvkd3d-utils.so.1")
    except OSError as exc:
        print(f"libvkd3d-utils.so.1 cannot be loaded: {exc}")
        return 1
    out = Path(tempfile.mkdtemp(prefix="idlgen-native-bench-"))
    try:
        generate(out)
        sys.path.insert(0, str(out))
        import d3d12  # type: ignore[import-not-found]
        import d3d12.abi  # type: ignore[import-not-found]
        import d3d12.structs  # type: ignore[import-not-found]
        import d3dcommon  # type: ignore[import-not-found]
        import dxgicommon.structs  # type: ignore[import-not-found]
        import vkd3d  # type: ignore[import-not-found]

        from idlgen.runtime import native
        from idlgen.runtime.native import _ffi, address_of

        api: Any = native.load("libvkd3d-utils.so.1", abi="ms").bind(vkd3d)
        device = api.D3D12CreateDevice(None, d3dcommon.D3D_FEATURE_LEVEL_11_0, d3d12.ID3D12Device)
        ffi = _ffi.libffi()
        call = ffi.call
        this = ctypes.c_void_p(address_of(device))
        vtbl = ctypes.c_void_p.from_address(this.value).value
        slots = (ctypes.c_void_p * 64).from_address(vtbl)

        # 1. GetNodeCount: slot 7, UINT (ID3D12Device*)
        cif = _ffi.prepare(_ffi.abi_code("ms"), ffi.types["uint32"], [ffi.types["pointer"]])
        args = (ctypes.c_void_p * 1)(ctypes.addressof(this))
        result = ctypes.c_uint64()
        c, f, r, a = cif.address, slots[7], ctypes.addressof(result), ctypes.addressof(args)

        def by_hand() -> int:
            call(c, f, r, a)
            return result.value

        assert device.GetNodeCount() == by_hand() == 1
        compare("GetNodeCount()", device.GetNodeCount, by_hand, options.calls, options.rounds)

        # 2. GetResourceAllocationInfo: slot 25, (this, __ret, UINT, UINT, const DESC*) -> ret*
        abi, structs = d3d12.abi, d3d12.structs
        sample = abi.DXGI_SAMPLE_DESC(1, 0)
        desc = abi.D3D12_RESOURCE_DESC(
            Dimension=1, Width=65536, Height=1, DepthOrArraySize=1, MipLevels=1,
            SampleDesc=sample, Layout=1,
        )  # fmt: skip
        as_dataclass = structs.D3D12_RESOURCE_DESC(
            Dimension=1, Alignment=0, Width=65536, Height=1, DepthOrArraySize=1, MipLevels=1,
            Format=0, SampleDesc=dxgicommon.structs.DXGI_SAMPLE_DESC(Count=1, Quality=0),
            Layout=1, Flags=0,
        )  # fmt: skip
        pointer, u32 = ffi.types["pointer"], ffi.types["uint32"]
        cif2 = _ffi.prepare(_ffi.abi_code("ms"), pointer, [pointer, pointer, u32, u32, pointer])
        info = abi.D3D12_RESOURCE_ALLOCATION_INFO()
        holders = [
            ctypes.c_void_p(this.value),
            ctypes.c_void_p(ctypes.addressof(info)),
            ctypes.c_uint32(0),
            ctypes.c_uint32(1),
            ctypes.c_void_p(ctypes.addressof(desc)),
        ]
        args2 = (ctypes.c_void_p * 5)(*(ctypes.addressof(h) for h in holders))
        c2, f2, a2 = cif2.address, slots[25], ctypes.addressof(args2)

        def info_by_hand() -> Any:
            fresh = abi.D3D12_RESOURCE_ALLOCATION_INFO()
            holders[1].value = ctypes.addressof(fresh)
            call(c2, f2, r, a2)
            return fresh

        got = device.GetResourceAllocationInfo(0, 1, desc)
        assert (got.SizeInBytes, got.Alignment) == (
            info_by_hand().SizeInBytes,
            info_by_hand().Alignment,
        )
        compare(
            "GetResourceAllocationInfo(ctypes struct)",
            lambda: device.GetResourceAllocationInfo(0, 1, desc),
            info_by_hand,
            options.calls,
            options.rounds,
        )
        compare(
            "GetResourceAllocationInfo(dataclass)",
            lambda: device.GetResourceAllocationInfo(0, 1, as_dataclass),
            info_by_hand,
            options.calls // 4,
            options.rounds,
        )
        device.release()
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


def bench_expose(options: argparse.Namespace) -> int:
    """Native -> Python: a C loop calling an exposed Python object, against a ctypes callback."""
    sys.path.insert(0, str(TESTS))
    import conftest  # type: ignore[import-not-found]  # the test library's build and package
    import implementations  # type: ignore[import-not-found]

    if conftest.c_compiler() is None:
        print("expose: no C compiler (gcc or cc) to build the test library")
        return 1
    out = Path(tempfile.mkdtemp(prefix="idlgen-expose-bench-"))
    try:
        conftest.generate_packages([conftest.TESTOBJ_IDL], out / "packages")
        (testobj,) = conftest.import_generated(out / "packages", "testobj")
        from idlgen.runtime import native

        for abi in conftest.ABIS:
            peer = (str(conftest.TESTPEER_C), "-I", str(conftest.SHIM), "-pthread")
            if abi == "ms":
                peer += ("-DIDLGEN_MS_ABI",)
            path = conftest.compile_library(
                conftest.TESTOBJ_C, out / f"testobj_{abi}.so", ms_abi=abi == "ms", extra=peer
            )
            api: Any = native.load(str(path), abi=abi).bind(testobj)
            _expose_rounds(api, testobj, implementations.classes(testobj), abi, options)
    finally:
        shutil.rmtree(out, ignore_errors=True)
    return 0


def _expose_rounds(
    api: Any, testobj: Any, classes: dict[str, Any], abi: str, options: argparse.Namespace
) -> None:
    """The calls of C loops into exposed Python objects in one convention."""
    from idlgen.runtime import native

    loop = 1000
    calls = max(options.calls // loop, 1)
    obj, dual = classes["object"](), classes["dual"]()
    pointer = native.expose(obj, testobj.ITestObject, abi=abi)
    dual_pointer = native.expose(dual, testobj.ITestDual, abi=abi)
    expected = sum(i + 1 for i in range(loop))
    assert api.CallIncrement(pointer, loop) == expected
    assert api.CallTwice(dual_pointer, loop) == api.InvokeTwice(dual_pointer, loop)
    if abi == "default":
        increment = ctypes.CFUNCTYPE(ctypes.c_int32, ctypes.c_void_p, ctypes.c_int32)(
            lambda this, x: x + 1
        )
        vtable = (ctypes.c_void_p * 8)()
        vtable[7] = ctypes.cast(increment, ctypes.c_void_p).value
        hand_made = ctypes.c_void_p(ctypes.addressof(vtable))
        by_hand = ctypes.addressof(hand_made)
        assert api.CallIncrement(by_hand, loop) == expected
        compare(
            "C -> Increment(LONG), default convention",
            lambda: api.CallIncrement(pointer, loop),
            lambda: api.CallIncrement(by_hand, loop),
            calls,
            options.rounds,
            per_round=loop,
            label="expose",
        )
    else:
        figure(
            "C -> Increment(LONG), ms_abi",
            lambda: api.CallIncrement(pointer, loop),
            calls,
            options.rounds,
            loop,
        )
    figure(
        f"C -> Twice(LONG, LONG*), {abi}",
        lambda: api.CallTwice(dual_pointer, loop),
        calls,
        options.rounds,
        loop,
    )
    figure(
        f"C -> Invoke(Twice, VARIANT), {abi}",
        lambda: api.InvokeTwice(dual_pointer, loop),
        calls,
        options.rounds,
        loop,
    )
    native.release_pointer(pointer, abi=abi)
    native.release_pointer(dual_pointer, abi=abi)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--calls", type=int, default=100_000)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--only", choices=("proxy", "expose"))
    options = parser.parse_args()
    print(f"{options.calls} calls per round, {options.rounds} rounds, CPU time per call")
    status = 0
    if options.only in (None, "proxy"):
        status |= bench_proxy(options)
    if options.only in (None, "expose"):
        status |= bench_expose(options)
    return status


if __name__ == "__main__":
    sys.exit(main())
