//! `Parameters`: named arrays that an optimizer updates. Layers implement it (every
//! `tapegrad_nn::Module` does), and so can anything else that owns parameters, so
//! optimizers, clipping and optimizer-state files need no layers.

use ndarray::{ArrayViewD, ArrayViewMutD};

use crate::Float;

/// A set of named parameter arrays, visited in a fixed order: what optimizers update,
/// clipping clips and state files key by name. Names are hierarchical (`layers.0.weight`)
/// when a container names its children's.
///
/// Every `tapegrad_nn::Module` is `Parameters` (it is the supertrait); implement it alone
/// for parameters that are not a layer.
///
/// ```
/// use ndarray::{array, Array1, ArrayViewD, ArrayViewMutD};
/// use tapegrad_tape::Parameters;
///
/// /// A line `y = a x + b`, fitted without any layer.
/// struct Line { a: Array1<f64>, b: Array1<f64> }
/// impl Parameters<f64> for Line {
///     fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, f64>)) {
///         visit("a", self.a.view().into_dyn());
///         visit("b", self.b.view().into_dyn());
///     }
///     fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, f64>)) {
///         visit("a", self.a.view_mut().into_dyn());
///         visit("b", self.b.view_mut().into_dyn());
///     }
/// }
/// let line = Line { a: array![2.0], b: array![0.5] };
/// assert_eq!((line.param_count(), line.param_names()), (2, vec!["a".to_string(), "b".to_string()]));
/// ```
pub trait Parameters<T: Float> {
    /// Calls `visit(name, parameter)` for every parameter, in a fixed order.
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>));

    /// Calls `visit(name, parameter)` for every parameter, mutably, in the same order as
    /// [`visit_params`](Parameters::visit_params).
    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>));

    /// The total number of scalar parameters.
    fn param_count(&self) -> usize {
        let mut count = 0;
        self.visit_params(&mut |_, p| count += p.len());
        count
    }

    /// The parameters' names, in visiting order.
    fn param_names(&self) -> Vec<String> {
        let mut names = Vec::new();
        self.visit_params(&mut |name, _| names.push(name.to_string()));
        names
    }
}

/// Named arrays in a map are parameters, in name order: the simplest set to hand an
/// optimizer when the arrays are not in a layer (a teacher's raw tape program).
///
/// ```
/// use std::collections::BTreeMap;
/// use ndarray::{array, ArrayD};
/// use tapegrad_tape::{Parameters, Tape};
/// let mut params: BTreeMap<String, ArrayD<f64>> =
///     BTreeMap::from([("w".to_string(), array![2.0, 3.0].into_dyn()), ("b".to_string(), array![0.5].into_dyn())]);
/// assert_eq!(params.param_names(), ["b", "w"]);
/// let tape = Tape::new();
/// let y = (tape.param(&params["w"]) * 2.0).sum() + tape.param(&params["b"]).sum();
/// let grads = tape.backward(y);
/// assert_eq!(grads.param(&params["w"]).unwrap(), &array![2.0, 2.0].into_dyn());
/// params.visit_params_mut(&mut |_, mut p| p.fill(0.0));
/// assert_eq!(params["w"], array![0.0, 0.0].into_dyn());
/// ```
impl<T: Float> Parameters<T> for std::collections::BTreeMap<String, ndarray::ArrayD<T>> {
    fn visit_params<'a>(&'a self, visit: &mut dyn FnMut(&str, ArrayViewD<'a, T>)) {
        for (name, array) in self {
            visit(name, array.view());
        }
    }

    fn visit_params_mut(&mut self, visit: &mut dyn FnMut(&str, ArrayViewMutD<'_, T>)) {
        for (name, array) in self.iter_mut() {
            visit(name, array.view_mut());
        }
    }
}

/// Whether the parameter name `selector` selects `name`, by the rule every name-based
/// choice of parameters follows (freezing with `tapegrad_nn::Frozen::only`, an optimizer's
/// parameter groups): `name` itself; a scope, which selects the parameters under it
/// (`"layers.0"` selects `"layers.0.weight"`, not `"layers.01.weight"`); or a pattern
/// with `*` standing for any run of characters, dots included (`"*.bias"` selects every
/// bias below the top level), matched against the whole name.
///
/// ```
/// use tapegrad_tape::selects;
/// assert!(selects("layers.0.weight", "layers.0.weight"));
/// assert!(selects("layers.0", "layers.0.weight") && !selects("layers.0", "layers.01.weight"));
/// assert!(selects("*.bias", "layers.3.bias") && !selects("*.bias", "bias"));
/// assert!(selects("layers.*.weight", "layers.12.weight") && !selects("layers.*.weight", "layers.1.bias"));
/// ```
pub fn selects(selector: &str, name: &str) -> bool {
    if selector.contains('*') {
        return matches_pattern(selector, name);
    }
    name == selector || (name.starts_with(selector) && name[selector.len()..].starts_with('.'))
}

/// Whether all of `name` matches `pattern`, where `*` stands for any run of characters
/// (dots included: `*.bias` matches `layers.0.bias`) and everything else for itself.
/// Greedy with backtracking to the last `*`, so linear in practice.
fn matches_pattern(pattern: &str, name: &str) -> bool {
    let (pattern, name) = (pattern.as_bytes(), name.as_bytes());
    let (mut p, mut n) = (0, 0);
    // Where the last `*` was, and where in `name` its match would end next.
    let mut retry: Option<(usize, usize)> = None;
    while n < name.len() {
        if p < pattern.len() && pattern[p] == b'*' {
            retry = Some((p, n));
            p += 1;
        } else if p < pattern.len() && pattern[p] == name[n] {
            p += 1;
            n += 1;
        } else if let Some((star, start)) = retry {
            // Let the last `*` take one more character and try again.
            p = star + 1;
            n = start + 1;
            retry = Some((star, start + 1));
        } else {
            return false;
        }
    }
    pattern[p..].iter().all(|&c| c == b'*')
}

#[cfg(test)]
mod tests {
    use super::matches_pattern;

    #[test]
    fn patterns_match_whole_names_with_stars_across_dots() {
        let cases = [
            ("*.bias", "layers.0.bias", true),
            ("*.bias", "bias", false),
            ("*.bias", "layers.0.bias_scale", false),
            ("*bias", "bias", true),
            ("layers.*.weight", "layers.12.weight", true),
            ("layers.*.weight", "layers.1.sub.weight", true),
            ("layers.*.weight", "layers.1.bias", false),
            ("layers.*.weight", "head.layers.1.weight", false),
            ("*", "anything.at.all", true),
            ("*", "", true),
            ("a*b*c", "a.xb.yc", true),
            ("a*b*c", "a.xc.yb", false),
            ("**.w", "x.w", true),
            ("norm.*", "norm.", true),
            ("norm.*", "norm", false),
            ("exact", "exact", true),
        ];
        for (pattern, name, expected) in cases {
            assert_eq!(matches_pattern(pattern, name), expected, "{pattern:?} against {name:?}");
        }
    }
}
