//! The dialect the targets test besides the default one.

use trailmatch::{Dialect, SwitchValue};

/// Every `Dialect` switch set to the value the default does not have (read from the one table of
/// switches, so a new switch is flipped too), so that the default and this between them give
/// each switch both of its values.
pub fn flipped() -> Dialect {
    let mut flipped = Dialect::default();
    for (name, value) in Dialect::default().switches() {
        let other = match value {
            SwitchValue::Bool(b) => SwitchValue::Bool(!b),
            SwitchValue::Number(n) => SwitchValue::Number(1 - n.min(1)),
        };
        // Every name comes from the table, with a value of its own kind.
        let _ = flipped.set(name, other);
    }
    flipped
}
