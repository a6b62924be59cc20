"""Turning what a user scores into the 2-D float array the core takes.

numpy arrays of float32 or float64 go to the core as they are, in C or
Fortran order (the extension gathers other layouts one block at a time, so
no copy of the whole input is made).  Frames (pandas DataFrames, pyarrow
Tables and RecordBatches) are matched to the model's features by column
name, as the database matches a row's columns: a missing column is an
error, other columns are ignored, text columns of categorical features
become category codes with the model's own lookup (md_category_code) (an
XGBoost feature's numeric column is its codes), and nulls are missing
values (NaN).
"""
import numpy as np

from ._mdscore import ModelError


def as_rows(core, x):
    """x as a 2-D float32/float64 array of the core model's features."""
    features = core.features()
    if _is_pandas(x):
        return _frame_rows(core, features, x.columns, lambda n: x[n], len(x))
    if _is_arrow(x):
        return _frame_rows(core, features, x.schema.names, x.column,
                           x.num_rows)
    a = np.asarray(x)
    if a.ndim == 1:
        a = a.reshape(1, -1)
    if a.dtype not in (np.float32, np.float64):
        if any(kind == "categorical" for _, kind, _ in features):
            raise TypeError("a model with categorical features scores arrays "
                            "of category codes (float); pass a DataFrame or "
                            "a pyarrow Table to score text columns by name")
        a = a.astype(np.float64)
    return a


def _is_pandas(x):
    return type(x).__module__.startswith("pandas") and hasattr(x, "columns")


def _is_arrow(x):
    return type(x).__module__.startswith("pyarrow") and hasattr(x, "schema")


def _frame_rows(core, features, names, column, n_rows):
    names = list(names)
    if any(name is None for name, _, _ in features):
        raise ModelError("the model has no feature names, so it can only be "
                         "scored with an array in its feature order")
    missing = [name for name, _, _ in features if name not in names]
    if missing:
        raise ModelError("the frame has no column %s for the model's "
                         "feature%s" % (", ".join(repr(m) for m in missing[:5]),
                                        "s" if len(missing) > 1 else ""))
    for name, _, _ in features:
        if names.count(name) > 1:
            raise ModelError("the frame has more than one column named %r"
                             % name)
    # filled column by column: Fortran order makes each a contiguous write
    out = np.empty((n_rows, len(features)), dtype=np.float64, order="F")
    for f, (name, kind, _) in enumerate(features):
        values = column(name)
        if kind == "categorical" and not (_holds_numbers(values) and
                                          core.takes_codes(f)):
            out[:, f] = _category_codes(core, f, name, values)
        else:
            out[:, f] = _numbers(name, values)
    return out


def _holds_numbers(values):
    """A numeric (not text, not category) column: codes, where taken."""
    if type(values).__module__.startswith("pyarrow"):
        import pyarrow as pa
        t = values.type
        return pa.types.is_integer(t) or pa.types.is_floating(t)
    return getattr(getattr(values, "dtype", None), "kind", "") in "iuf" \
        and str(values.dtype) != "category"


def _numbers(name, values):
    """A numeric column as float64, nulls as NaN."""
    if hasattr(values, "to_numpy") and type(values).__module__.startswith(
            "pyarrow"):
        import pyarrow as pa
        import pyarrow.compute as pc
        if pa.types.is_dictionary(values.type) or pa.types.is_string(
                values.type) or pa.types.is_large_string(values.type):
            raise TypeError("column %r holds text, but feature %r is numeric"
                            % (name, name))
        return pc.cast(values, pa.float64()).to_numpy(zero_copy_only=False)
    dtype = getattr(values, "dtype", None)
    if dtype is not None and str(dtype) == "category":
        # XGBoost's categorical splits take the category numbers directly
        codes = values.cat.codes.to_numpy().astype(np.float64)
        codes[codes < 0] = np.nan
        return codes
    try:
        return values.to_numpy(dtype=np.float64, na_value=np.nan)
    except (TypeError, ValueError):
        raise TypeError("column %r is not numeric, but feature %r is"
                        % (name, name)) from None


def _text_values(name, values):
    """A text column as a list of str or None."""
    if type(values).__module__.startswith("pyarrow"):
        import pyarrow as pa
        if not (pa.types.is_string(values.type)
                or pa.types.is_large_string(values.type)
                or pa.types.is_dictionary(values.type)):
            raise TypeError(_not_text(name, values.type))
        return values.to_pylist()
    dtype = str(values.dtype)
    if dtype not in ("object", "string", "str", "category") and \
            not dtype.startswith("string"):
        raise TypeError(_not_text(name, dtype))
    return [None if v is None or (isinstance(v, float) and v != v) else v
            for v in values.tolist()]


def _not_text(name, dtype):
    return ("column %r of type %s cannot be categorical feature %r: it must "
            "hold category names (text)" % (name, dtype, name))


def _category_codes(model, f, name, values):
    """Codes of a text column, looked up once per distinct value."""
    texts = _text_values(name, values)
    codes = {}
    out = np.empty(len(texts), dtype=np.float64)
    for i, t in enumerate(texts):
        if t is None:
            out[i] = np.nan
            continue
        # XGBoost names whole-number categories by their decimal text
        if isinstance(t, (int, np.integer)) and not isinstance(t, bool):
            t = str(int(t))
        if not isinstance(t, str):
            raise TypeError("column %r holds %r, not a category name"
                            % (name, t))
        c = codes.get(t)
        if c is None:
            try:
                c = codes[t] = model.category_code(f, t)
            except ModelError as e:
                raise ModelError("row %d: %s" % (i, e)) from None
        out[i] = c
    return out
