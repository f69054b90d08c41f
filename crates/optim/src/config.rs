//! What the five optimizer configs share — the learning rate, the weight decay and the
//! clipping: their setters, their checks and their [`UpdateRule`](crate::UpdateRule)
//! accessors — written once, as macros each config invokes.

/// The setters and checks of the shared hyperparameters, for a config struct with fields
/// `learning_rate`, `weight_decay` and `clipping`; `$optimizer` names the optimizer type
/// in the examples and in error messages.
macro_rules! shared_hyperparameters {
    ($config:ident, $optimizer:literal) => {
        impl<T: Float> $config<T> {
            /// Sets the learning rate `γ` (finite and `≥ 0`, checked by `build`).
            ///
            #[doc = concat!(
                        "```\nassert_eq!(tapegrad_optim::", $optimizer,
                        "::<f64>::builder().learning_rate(0.1).learning_rate, 0.1);\n```"
                    )]
            pub fn learning_rate(mut self, learning_rate: T) -> Self {
                self.learning_rate = learning_rate;
                self
            }

            /// Sets the weight decay `λ` (finite and `≥ 0`); the `weight_decay` field says
            /// how this optimizer applies it.
            ///
            #[doc = concat!(
                        "```\nassert_eq!(tapegrad_optim::", $optimizer,
                        "::<f64>::builder().weight_decay(1e-4).weight_decay, 1e-4);\n```"
                    )]
            pub fn weight_decay(mut self, weight_decay: T) -> Self {
                self.weight_decay = weight_decay;
                self
            }

            /// Sets the gradient clipping applied before each step.
            ///
            #[doc = concat!(
                        "```\nuse tapegrad_optim::{", $optimizer, ", GradientClipping};\nlet config = ",
                        $optimizer, "::<f64>::builder().clipping(GradientClipping::Value(0.5));\n",
                        "assert_eq!(config.clipping, GradientClipping::Value(0.5));\n```"
                    )]
            pub fn clipping(mut self, clipping: GradientClipping<T>) -> Self {
                self.clipping = clipping;
                self
            }

            /// Checks the shared hyperparameters: the learning rate and the weight decay
            /// finite and `≥ 0`, the clipping threshold valid.
            pub(crate) fn validate_shared(&self, optimizer: &'static str) -> Result<(), OptimError> {
                let check = Owner::Optimizer(optimizer);
                check.non_negative("learning_rate", self.learning_rate)?;
                check.non_negative("weight_decay", self.weight_decay)?;
                self.clipping.validate(optimizer)
            }
        }
    };
}

/// The [`UpdateRule`](crate::UpdateRule) methods that read and set the shared
/// hyperparameters, inside a config's `impl UpdateRule`.
macro_rules! shared_rule_methods {
    () => {
        fn learning_rate(&self) -> T {
            self.learning_rate
        }

        fn set_learning_rate(&mut self, learning_rate: T) {
            self.learning_rate = learning_rate;
        }

        fn clipping(&self) -> GradientClipping<T> {
            self.clipping
        }
    };
}

pub(crate) use {shared_hyperparameters, shared_rule_methods};
