"""vkd3d's Direct3D 12 (real, third-party, ms_abi) called through bindings generated from the
corpus's d3d12.idl and examples/vkd3d/vkd3d.idl.

Needs Debian's ``libvkd3d-utils1`` and, for the device, a Vulkan driver (``mesa-vulkan-drivers``'
lavapipe runs on the CPU); ``.ci/run`` installs both.  The tests skip, saying why, only where
the library cannot be loaded (or, for the device tests, no Vulkan device can be created).
mingw's d3d12.idl has no [in]/[out] attributes: its ``void **`` out pointers are [in] by the
IDL rules, so the tests pass ``ByRef`` holders and wrap what comes back.
"""

from __future__ import annotations

import ctypes
import gc
import time
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest
from _shared import CORPUS
from conftest import X86_64, generate_packages, import_generated

from idlgen.runtime import ByRef, COMError

HERE = Path(__file__).resolve().parent
VKD3D_IDL = HERE.parents[1] / "examples" / "vkd3d" / "vkd3d.idl"
D3D12_IDL = CORPUS / "include" / "d3d12.idl"
LIBRARY = "libvkd3d-utils.so.1"

pytestmark = [
    pytest.mark.skipif(not X86_64, reason="vkd3d's ms_abi exports exist only on x86-64"),
    pytest.mark.skipif(not D3D12_IDL.is_file(), reason=f"the mingw-w64 corpus is not at {CORPUS}"),
]


def _load_problem() -> str | None:
    try:
        ctypes.CDLL(LIBRARY)
    except OSError as exc:
        return f"{LIBRARY} cannot be loaded ({exc}); apt-get install libvkd3d-utils1"
    return None


@pytest.fixture(scope="module")
def d3d(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[ModuleType, ModuleType, Any]]:
    """(d3d12 package, vkd3d package, the bound functions), generated once."""
    problem = _load_problem()
    if problem:
        pytest.skip(problem)
    from idlgen.runtime import native

    root = tmp_path_factory.mktemp("d3d12-packages")
    generate_packages(
        [D3D12_IDL, VKD3D_IDL],
        root,
        include_dirs=(CORPUS / "include", CORPUS / "crt"),
        defines=["BOOL=WINBOOL"],
        with_imports=True,
    )
    d3d12, vkd3d, _ = import_generated(root, "d3d12", "vkd3d", "d3d12.abi")
    api = native.load(LIBRARY, abi="ms").bind(vkd3d)
    yield d3d12, vkd3d, api


def _root_signature_desc(abi: Any) -> tuple[Any, list[Any]]:
    """A root signature: a descriptor table of two ranges, root constants, a root CBV, and
    two static samplers (and the arrays it points into, to keep alive)."""
    ranges = (abi.D3D12_DESCRIPTOR_RANGE * 2)(
        abi.D3D12_DESCRIPTOR_RANGE(0, 2, 0, 0, 0),  # SRV t0-t1
        abi.D3D12_DESCRIPTOR_RANGE(1, 1, 3, 1, 2),  # UAV u3 (space 1), after the SRVs
    )
    params = (abi.D3D12_ROOT_PARAMETER * 3)()
    params[0].ParameterType = 0  # DESCRIPTOR_TABLE
    params[0].DescriptorTable.NumDescriptorRanges = 2
    params[0].DescriptorTable.pDescriptorRanges = ranges
    params[0].ShaderVisibility = 0  # ALL
    params[1].ParameterType = 1  # 32BIT_CONSTANTS
    params[1].Constants.ShaderRegister = 0
    params[1].Constants.RegisterSpace = 0
    params[1].Constants.Num32BitValues = 4
    params[1].ShaderVisibility = 5  # PIXEL
    params[2].ParameterType = 2  # CBV
    params[2].Descriptor.ShaderRegister = 1
    params[2].Descriptor.RegisterSpace = 2
    params[2].ShaderVisibility = 1  # VERTEX
    samplers = (abi.D3D12_STATIC_SAMPLER_DESC * 2)(
        abi.D3D12_STATIC_SAMPLER_DESC(0x15, 1, 2, 3, 0.5, 1, 8, 0, 0.0, 1000.0, 0, 0, 5),
        abi.D3D12_STATIC_SAMPLER_DESC(0x55, 3, 3, 4, 0.0, 16, 2, 2, 1.0, 8.0, 1, 3, 0),
    )
    desc = abi.D3D12_ROOT_SIGNATURE_DESC(3, params, 2, samplers, 1)
    return desc, [ranges, params, samplers]


def _fields(value: Any) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for name, *_ in type(value)._fields_:
        item = getattr(value, name)
        if isinstance(item, ctypes.Structure | ctypes.Union):
            item = _fields(item)
        elif isinstance(item, float):
            item = round(item, 6)
        out[name] = item
    return out


def test_serialize_and_deserialize_a_root_signature(d3d: Any) -> None:
    d3d12, _, api = d3d
    abi = d3d12.abi
    desc, keep = _root_signature_desc(abi)
    blob, errors = api.D3D12SerializeRootSignature(desc, d3d12.D3D_ROOT_SIGNATURE_VERSION_1)
    assert errors is None
    size = blob.GetBufferSize()
    data = ctypes.string_at(blob.GetBufferPointer(), size)
    assert size > 100 and data[:4] == b"DXBC"
    deserializer = api.D3D12CreateRootSignatureDeserializer(
        blob.GetBufferPointer(), size, d3d12.ID3D12RootSignatureDeserializer
    )
    blob.release()
    back = deserializer.GetRootSignatureDesc()  # a view of the deserializer's memory
    assert (back.NumParameters, back.NumStaticSamplers, back.Flags) == (3, 2, 1)
    for i in range(3):
        assert back.pParameters[i].ParameterType == desc.pParameters[i].ParameterType
        assert back.pParameters[i].ShaderVisibility == desc.pParameters[i].ShaderVisibility
    table = back.pParameters[0].DescriptorTable
    assert table.NumDescriptorRanges == 2
    assert [_fields(table.pDescriptorRanges[i]) for i in range(2)] == [_fields(r) for r in keep[0]]
    assert _fields(back.pParameters[1].Constants) == _fields(desc.pParameters[1].Constants)
    assert _fields(back.pParameters[2].Descriptor) == _fields(desc.pParameters[2].Descriptor)
    assert [_fields(back.pStaticSamplers[i]) for i in range(2)] == [_fields(s) for s in keep[2]]
    assert deserializer.release() == 0


def test_a_bad_root_signature_is_a_comerror(d3d: Any) -> None:
    d3d12, _, api = d3d
    desc, keep = _root_signature_desc(d3d12.abi)
    keep[1][1].ParameterType = 99  # not a root parameter type
    with pytest.raises(COMError) as info:
        api.D3D12SerializeRootSignature(desc, d3d12.D3D_ROOT_SIGNATURE_VERSION_1)
    assert info.value.hresult == 0x80070057  # E_INVALIDARG


@pytest.fixture
def device(d3d: Any) -> Iterator[Any]:
    d3d12, _, api = d3d
    import d3dcommon  # generated beside d3d12 (--with-imports)

    try:
        device = api.D3D12CreateDevice(None, d3dcommon.D3D_FEATURE_LEVEL_11_0, d3d12.ID3D12Device)
    except COMError as exc:
        pytest.skip(f"vkd3d found no Vulkan device ({exc}); apt-get install mesa-vulkan-drivers")
    yield device
    gc.collect()
    assert device.release() == 0, "the device's refcount did not reach 0"


def _create(device_method: Any, *args: Any, interface: Any, abi: str = "ms") -> Any:
    """Call a d3d12.idl ``Create*(..., REFIID riid, void **object)`` and wrap the object."""
    from idlgen.runtime import native

    out = ByRef(None)
    device_method(*args, interface, out)
    return native.wrap(out.value, interface, abi=abi)


def test_device_queue_fence_buffers_and_a_copy(d3d: Any, device: Any) -> None:
    d3d12, _, api = d3d
    abi = d3d12.abi
    assert device.GetNodeCount() == 1
    architecture = abi.D3D12_FEATURE_DATA_ARCHITECTURE(NodeIndex=0)
    device.CheckFeatureSupport(
        d3d12.D3D12_FEATURE_ARCHITECTURE, architecture, ctypes.sizeof(architecture)
    )
    assert architecture.NodeIndex == 0 and architecture.UMA in (0, 1)
    with pytest.raises(COMError):  # a wrong size is refused by vkd3d
        device.CheckFeatureSupport(d3d12.D3D12_FEATURE_ARCHITECTURE, architecture, 3)

    queue = _create(
        device.CreateCommandQueue,
        abi.D3D12_COMMAND_QUEUE_DESC(Type=d3d12.D3D12_COMMAND_LIST_TYPE_DIRECT),
        interface=d3d12.ID3D12CommandQueue,
    )
    assert queue.GetDesc().Type == d3d12.D3D12_COMMAND_LIST_TYPE_DIRECT  # a struct return
    fence = _create(device.CreateFence, 0, d3d12.D3D12_FENCE_FLAG_NONE, interface=d3d12.ID3D12Fence)

    size = 4096
    buffer_desc = abi.D3D12_RESOURCE_DESC(
        Dimension=d3d12.D3D12_RESOURCE_DIMENSION_BUFFER,
        Width=size,
        Height=1,
        DepthOrArraySize=1,
        MipLevels=1,
        SampleDesc=abi.DXGI_SAMPLE_DESC(1, 0),
        Layout=d3d12.D3D12_TEXTURE_LAYOUT_ROW_MAJOR,
    )

    def buffer(heap: int, state: int) -> Any:
        return _create(
            device.CreateCommittedResource,
            abi.D3D12_HEAP_PROPERTIES(Type=heap),
            d3d12.D3D12_HEAP_FLAG_NONE,
            buffer_desc,
            state,
            None,
            interface=d3d12.ID3D12Resource,
        )

    upload = buffer(d3d12.D3D12_HEAP_TYPE_UPLOAD, d3d12.D3D12_RESOURCE_STATE_GENERIC_READ)
    readback = buffer(d3d12.D3D12_HEAP_TYPE_READBACK, d3d12.D3D12_RESOURCE_STATE_COPY_DEST)
    described = upload.GetDesc()  # D3D12_RESOURCE_DESC through the hidden result pointer
    assert (described.Dimension, described.Width, described.Height) == (
        d3d12.D3D12_RESOURCE_DIMENSION_BUFFER,
        size,
        1,
    )
    assert described.SampleDesc.Count == 1 and described.Layout == buffer_desc.Layout

    pattern = bytes((i * 7 + 3) % 256 for i in range(size))
    mapped = ByRef(None)
    upload.Map(0, abi.D3D12_RANGE(0, 0), mapped)
    ctypes.memmove(mapped.value, pattern, size)
    upload.Unmap(0, None)

    allocator = _create(
        device.CreateCommandAllocator,
        d3d12.D3D12_COMMAND_LIST_TYPE_DIRECT,
        interface=d3d12.ID3D12CommandAllocator,
    )
    commands = _create(
        device.CreateCommandList,
        0,
        d3d12.D3D12_COMMAND_LIST_TYPE_DIRECT,
        allocator,
        None,
        interface=d3d12.ID3D12GraphicsCommandList,
    )
    commands.CopyBufferRegion(readback, 0, upload, 0, size)
    commands.Close()
    queue.ExecuteCommandLists(1, [commands])
    queue.Signal(fence, 1)
    event = api.vkd3d_create_event()  # a __cdecl export of the same (ms_abi) library
    fence.SetEventOnCompletion(1, event)
    # vkd3d 1.2 implements only infinite waits: poll the fence first (a guard, not a timing)
    deadline = time.monotonic() + 120
    while fence.GetCompletedValue() < 1 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert fence.GetCompletedValue() == 1, "the copy did not complete"
    assert api.vkd3d_wait_event(event, 0xFFFFFFFF) == 0  # signalled: VKD3D_WAIT_OBJECT_0
    api.vkd3d_destroy_event(event)

    mapped = ByRef(None)
    readback.Map(0, abi.D3D12_RANGE(0, size), mapped)
    assert ctypes.string_at(mapped.value, size) == pattern
    readback.Unmap(0, abi.D3D12_RANGE(0, 0))

    for child in (commands, allocator, readback, upload, fence, queue):
        child.release()


def test_descriptor_heap_and_struct_returns(d3d: Any, device: Any) -> None:
    d3d12, _, _ = d3d
    abi = d3d12.abi
    desc = abi.D3D12_DESCRIPTOR_HEAP_DESC(
        Type=d3d12.D3D12_DESCRIPTOR_HEAP_TYPE_CBV_SRV_UAV, NumDescriptors=8
    )
    with _create(device.CreateDescriptorHeap, desc, interface=d3d12.ID3D12DescriptorHeap) as heap:
        start = heap.GetCPUDescriptorHandleForHeapStart()  # an 8-byte struct, hidden pointer
        assert isinstance(start, abi.D3D12_CPU_DESCRIPTOR_HANDLE) and start.ptr != 0
        back = heap.GetDesc()
        assert (back.Type, back.NumDescriptors, back.Flags) == (desc.Type, 8, 0)
        step = device.GetDescriptorHandleIncrementSize(d3d12.D3D12_DESCRIPTOR_HEAP_TYPE_CBV_SRV_UAV)
        assert step > 0
    assert device.GetAdapterLuid() is not None


def test_children_keep_the_device_and_query_interface(d3d: Any, device: Any) -> None:
    d3d12, _, _ = d3d
    fence = _create(device.CreateFence, 5, 0, interface=d3d12.ID3D12Fence)
    assert fence.GetCompletedValue() == 5
    parent = ByRef(None)
    fence.GetDevice(d3d12.ID3D12Device, parent)  # ID3D12DeviceChild.GetDevice
    from idlgen.runtime import native

    with native.wrap(parent.value, d3d12.ID3D12Device, abi="ms") as same:
        assert native.address_of(same) == native.address_of(device)
    pageable = fence.QueryInterface(d3d12.ID3D12Pageable)
    assert isinstance(pageable, d3d12.ID3D12Pageable)
    with pytest.raises(COMError) as info:
        fence.QueryInterface(d3d12.ID3D12Resource)
    assert info.value.hresult == 0x80004002  # E_NOINTERFACE
    pageable.release()
    fence.release()
