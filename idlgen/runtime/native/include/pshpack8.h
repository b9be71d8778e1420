/* <pshpack8.h> for widl's headers on non-Windows systems: see idlgen_windows.h.
 * Included again and again: no include guard. */
#pragma pack(push, 8)
