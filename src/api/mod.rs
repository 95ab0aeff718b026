//! The endpoint families: one module each, with their parameter types.

pub mod installations;
pub mod stats;
pub mod stats_fetch;
pub mod users;
pub mod widgets;
