"""Hand-written ctypes layouts of the d3d12.idl structures the vkd3d tests use: a stand-in for
the ``abi`` module the ``abi`` emit kind generates (used only while that kind is not there)."""

from __future__ import annotations

import ctypes

UINT = ctypes.c_uint32
ENUM = ctypes.c_int32
SIZE_T = ctypes.c_size_t


class LUID(ctypes.Structure):
    _fields_ = [("LowPart", ctypes.c_uint32), ("HighPart", ctypes.c_int32)]


class DXGI_SAMPLE_DESC(ctypes.Structure):
    _fields_ = [("Count", UINT), ("Quality", UINT)]


class D3D12_COMMAND_QUEUE_DESC(ctypes.Structure):
    _fields_ = [("Type", ENUM), ("Priority", ctypes.c_int32), ("Flags", ENUM), ("NodeMask", UINT)]


class D3D12_HEAP_PROPERTIES(ctypes.Structure):
    _fields_ = [
        ("Type", ENUM),
        ("CPUPageProperty", ENUM),
        ("MemoryPoolPreference", ENUM),
        ("CreationNodeMask", UINT),
        ("VisibleNodeMask", UINT),
    ]


class D3D12_RESOURCE_DESC(ctypes.Structure):
    _fields_ = [
        ("Dimension", ENUM),
        ("Alignment", ctypes.c_uint64),
        ("Width", ctypes.c_uint64),
        ("Height", UINT),
        ("DepthOrArraySize", ctypes.c_uint16),
        ("MipLevels", ctypes.c_uint16),
        ("Format", ENUM),
        ("SampleDesc", DXGI_SAMPLE_DESC),
        ("Layout", ENUM),
        ("Flags", ENUM),
    ]


class D3D12_RANGE(ctypes.Structure):
    _fields_ = [("Begin", SIZE_T), ("End", SIZE_T)]


class D3D12_DESCRIPTOR_HEAP_DESC(ctypes.Structure):
    _fields_ = [("Type", ENUM), ("NumDescriptors", UINT), ("Flags", ENUM), ("NodeMask", UINT)]


class D3D12_CPU_DESCRIPTOR_HANDLE(ctypes.Structure):
    _fields_ = [("ptr", SIZE_T)]


class D3D12_GPU_DESCRIPTOR_HANDLE(ctypes.Structure):
    _fields_ = [("ptr", ctypes.c_uint64)]


class D3D12_FEATURE_DATA_ARCHITECTURE(ctypes.Structure):
    _fields_ = [
        ("NodeIndex", UINT),
        ("TileBasedRenderer", ctypes.c_int32),
        ("UMA", ctypes.c_int32),
        ("CacheCoherentUMA", ctypes.c_int32),
    ]


class D3D12_DESCRIPTOR_RANGE(ctypes.Structure):
    _fields_ = [
        ("RangeType", ENUM),
        ("NumDescriptors", UINT),
        ("BaseShaderRegister", UINT),
        ("RegisterSpace", UINT),
        ("OffsetInDescriptorsFromTableStart", UINT),
    ]


class D3D12_ROOT_DESCRIPTOR_TABLE(ctypes.Structure):
    _fields_ = [
        ("NumDescriptorRanges", UINT),
        ("pDescriptorRanges", ctypes.POINTER(D3D12_DESCRIPTOR_RANGE)),
    ]


class D3D12_ROOT_CONSTANTS(ctypes.Structure):
    _fields_ = [("ShaderRegister", UINT), ("RegisterSpace", UINT), ("Num32BitValues", UINT)]


class D3D12_ROOT_DESCRIPTOR(ctypes.Structure):
    _fields_ = [("ShaderRegister", UINT), ("RegisterSpace", UINT)]


class _D3D12_ROOT_PARAMETER_u(ctypes.Union):
    _fields_ = [
        ("DescriptorTable", D3D12_ROOT_DESCRIPTOR_TABLE),
        ("Constants", D3D12_ROOT_CONSTANTS),
        ("Descriptor", D3D12_ROOT_DESCRIPTOR),
    ]


class D3D12_ROOT_PARAMETER(ctypes.Structure):
    _anonymous_ = ("u",)
    _fields_ = [
        ("ParameterType", ENUM),
        ("u", _D3D12_ROOT_PARAMETER_u),
        ("ShaderVisibility", ENUM),
    ]


class D3D12_STATIC_SAMPLER_DESC(ctypes.Structure):
    _fields_ = [
        ("Filter", ENUM),
        ("AddressU", ENUM),
        ("AddressV", ENUM),
        ("AddressW", ENUM),
        ("MipLODBias", ctypes.c_float),
        ("MaxAnisotropy", UINT),
        ("ComparisonFunc", ENUM),
        ("BorderColor", ENUM),
        ("MinLOD", ctypes.c_float),
        ("MaxLOD", ctypes.c_float),
        ("ShaderRegister", UINT),
        ("RegisterSpace", UINT),
        ("ShaderVisibility", ENUM),
    ]


class D3D12_ROOT_SIGNATURE_DESC(ctypes.Structure):
    _fields_ = [
        ("NumParameters", UINT),
        ("pParameters", ctypes.POINTER(D3D12_ROOT_PARAMETER)),
        ("NumStaticSamplers", UINT),
        ("pStaticSamplers", ctypes.POINTER(D3D12_STATIC_SAMPLER_DESC)),
        ("Flags", ENUM),
    ]


class D3D12_DEPTH_STENCIL_VALUE(ctypes.Structure):
    _fields_ = [("Depth", ctypes.c_float), ("Stencil", ctypes.c_uint8)]


class _D3D12_CLEAR_VALUE_u(ctypes.Union):
    _fields_ = [("Color", ctypes.c_float * 4), ("DepthStencil", D3D12_DEPTH_STENCIL_VALUE)]


class D3D12_CLEAR_VALUE(ctypes.Structure):
    _anonymous_ = ("u",)
    _fields_ = [("Format", ENUM), ("u", _D3D12_CLEAR_VALUE_u)]


class D3D12_BOX(ctypes.Structure):
    _fields_ = [(n, UINT) for n in ("left", "top", "front", "right", "bottom", "back")]


class D3D12_RESOURCE_ALLOCATION_INFO(ctypes.Structure):
    _fields_ = [("SizeInBytes", ctypes.c_uint64), ("Alignment", ctypes.c_uint64)]
