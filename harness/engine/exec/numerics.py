"""All scalar numerics in one namespace (integer, floating-point, conversions), for callers that do not
care about the per-type split.  Representation: i32/i64 unsigned ints, f32 raw bits, f64 Python floats."""

from .num_convert import *  # noqa: F403
from .num_float import *  # noqa: F403
from .num_int import *  # noqa: F403
