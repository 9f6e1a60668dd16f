//! Operating-system specifics behind one small interface, so the engine itself stays free of
//! `#[cfg(target_os)]`.

#[cfg(target_os = "linux")]
mod linux;
#[cfg(target_os = "linux")]
pub(crate) use linux::*;

#[cfg(not(target_os = "linux"))]
compile_error!("sf runs scripts on Linux only for now");
