"""errkind.py: error parity on the kind of error. When torch raises and libl2 fails, the kind of
torch's exception (its type and torch 1.13's message) must match the class of libl2's status.

Kinds: "dim" (a dimension out of range), "index" (an index out of range), "shape" (incompatible
shapes or sizes), "dtype" (a dtype the op refuses), "value" (any other invalid argument).
torch_kind() returns None for an exception it cannot classify ("unmapped": counted, not
compared); l2_kind() returns None for statuses with no torch counterpart (NOMEM, OVERFLOW, ...).
DEPARTURES lists the deliberate differences, each documented in libl2/l2.h.
"""
import re

# torch 1.13 message patterns, tried in order: the first match decides.
PATTERNS = [
    # linalg (issue 15): a non-square matrix where a square one is needed is a shape problem
    # (libl2 L2_ERR_SHAPE; torch says RuntimeError)
    ("shape", r"must be batches of square matrices"),
    # einsum's parser (issue 15, compose): malformed equations and operand counts are invalid
    # arguments (libl2 L2_ERR_ARG); its size messages fall to "shape" below
    ("value", r"einsum\(\): (output subscript|fewer operands|more operands|found '\.')"),
    # linear algebra (issue 15, la1): a non-square matrix is a shape problem; a singular or
    # not positive-definite matrix an invalid value (libl2 L2_ERR_ARG)
    ("shape", r"batches of square matrices"),
    ("value", r"input matrix is singular|is not positive-definite"),
    # cholesky_solve (issue 15, lsqnorm): a 1-d B or L is a rank problem (libl2 L2_ERR_DIM)
    ("dim", r"should have at least 2 dimensions"),
    # an empty reduction without an identity is an invalid value (torch raises IndexError or
    # RuntimeError; libl2 L2_ERR_ARG), not a shape or index problem
    ("value", r"to have non-zero size|because this dimension is empty|numel\(\) == 0|"
              r"operation has no identity"),  # aminmax (scan)
    # the rank of a tensor is wrong for the op (t of 3-d, select or cat of 0-d): the dim kind,
    # as libl2's L2_ERR_DIM (torch says RuntimeError or IndexError)
    ("dim", r"0-dim|0-d tensor|zero-dimensional|expects a tensor with <= \d+ dimensions"),
    # shape (issue 14): split/chunk of a 0-d tensor, meshgrid of a 2-d one, tril/diag/rot90 of
    # the wrong rank are rank problems; bad split sizes and chunk counts invalid arguments
    ("dim", r"expect(s|ed) at least a 1-dimensional tensor|but tensor has no dimensions|"
            r"Expected 0D or 1D tensor in the tensor list|must have at least 2 dimensions|"
            r"matrix or a vector expected|expected total dims >= 2|Rotation dim\d out of range"),
    ("value", r"split_size|split_sizes|chunk expects|shifts and dimensions must align|"
              r"diagonal dimensions cannot be identical|Number of dimensions of repeat dims|"
              r"create tensor with negative dimension"),
    # pad with a negative result size reaches narrow with a negative length: a shape problem
    ("shape", r"length \(-\d+\) exceeds dimension size"),
    # multinomial: the rank of the weights (libl2 L2_ERR_SHAPE, as conv1d's rank), and more
    # samples than categories without replacement, an argument (sample)
    ("shape", r"prob_dist must be 1 or 2 dim"),
    ("value", r"cannot sample n_sample|normal expects|bernoulli_ expects|"
              r"probability tensor contains"),
    # a kernel size < 1 is an invalid argument (libl2 L2_ERR_ARG), not a shape (sample: lrn)
    ("value", r"kernel size should be greater than zero"),
    ("shape", r"Number of elements of source < number of ones in mask"),  # masked_scatter
    ("index", r"exceeds dimension size|indexing axis dim should be positive"),
    # an index item of the wrong type (x[1.5]) is a malformed argument
    ("value", r"are valid indices"),
    ("dim", r"Dimension out of range|dimension out of range|dim(ension)? \S+ out of range|"
            r"appears multiple times in the list of dims|repeated dim|"
            r"number of dims don't match|dims don't match"),
    ("index", r"index -?\d+ is out of bounds|index \S+ out of range|[Ii]ndex out of range|"
              r"out of bounds for dimension|index .* out of|Target -?\d+ is out of bounds|"
              r"too many indices|Class values must be|"
              r"index \d+ is out of|tried to access index|"  # take (index2)
              r"selected number k out of range"),  # kthvalue (sort)
    ("dtype", r"dtype|scalar type|[Ee]xpected .*(Long|Float|Double|Bool)|"
              r"not implemented for '(Bool|Long|Float|Double)'|"
              r"with a bool tensor is not supported|Bool|\bLong\b|\bFloat\b|Double|"
              r"result type .* can't be cast|only supported for floating|"
              r"floating point|must be a tensor of integer|integral"),
    ("shape", r"must match the size|shape|[Ss]izes? of tensors must match|size mismatch|"
              r"cannot be multiplied|inconsistent tensor size|is invalid for input of size|"
              r"expected .* size|[Ee]xpected \S+ to have|Expected input batch_size|"
              r"the number of sizes provided|must have the same|must match|"
              r"same number of dimensions|expand|doesn't match the broadcast|"
              r"Expected .*D|[0-9]+D (tensor|input)|dimension|input size|"
              r"(kernel|Kernel) size can't be greater|Output size is too small|"
              r"non-empty|size"),
    ("value", r"ZeroDivisionError|must be (positive|non-negative|greater|at least|less|"
              r"a non-negative)|negative|step|out of range|[Ii]nvalid|[Ee]xpected|"
              r"must be|should be|[Cc]annot|[Cc]an ?not|can't|not allowed|"
              r"only one dimension can be inferred|unsupported|"
              r"does not support non-positive"),  # huber_loss's delta (loss2)
]
_RX = [(k, re.compile(p)) for k, p in PATTERNS]

STATUS_KIND = {"L2_ERR_DIM": "dim", "L2_ERR_INDEX": "index", "L2_ERR_SHAPE": "shape",
               "L2_ERR_DTYPE": "dtype", "L2_ERR_ARG": "value"}

# Deliberate departures: (op or "*", torch kind, libl2 status) -> the reason (said in l2.h).
DEPARTURES = {
    ("l2_stack", "dim", "L2_ERR_SHAPE"):
        "with both a dim out of range and unequal sizes, libl2 reports the sizes first",
    ("l2_narrow", "dim", "L2_ERR_INDEX"):
        "torch 1.13 wraps narrow's start as a dim: an out-of-range start says 'Dimension out of "
        "range'; libl2 says L2_ERR_INDEX (l2.h, l2_narrow)",
    ("l2_multi_head_attention", "value", "L2_ERR_SHAPE"):
        "torch 1.13 asserts the ranks of query, key, value and the masks ('expected ... to be "
        "2-D'); libl2 says L2_ERR_SHAPE (l2.h, l2_multi_head_attention)",
}


def torch_kind(exc):
    """The kind of a torch exception, or None when unclassifiable."""
    msg = str(exc).split("\n")[0]
    for kind, rx in _RX:
        if rx.search(msg):
            return kind
    if isinstance(exc, ValueError):
        return "value"
    if isinstance(exc, IndexError):
        return "index"
    return None


def l2_kind(status_name):
    return STATUS_KIND.get(status_name)


def check(op_name, exc, status_name, l2_msg):
    """("matched" | "unmapped" | "departure", None) or ("differ", message)."""
    tk = torch_kind(exc)
    lk = l2_kind(status_name)
    if tk is None or lk is None:
        return "unmapped", None
    if tk == lk:
        return "matched", None
    for key in ((op_name, tk, status_name), ("*", tk, status_name)):
        if key in DEPARTURES:
            return "departure", None
    return "differ", "error kind: torch %s (%s): %s; libl2 %s (%s): %s" % (
        type(exc).__name__, tk, str(exc).split("\n")[0][:160], status_name, lk, l2_msg[:160])
