"""What a helper may not contain when it is inlined (``helpers.py``), with the fix to
suggest: each construct runs differently, or not at all, once its statements are the
caller's."""

import ast


def unsupported_in_helper(node):
    """(construct, hint) for what a helper may not contain when it is inlined."""
    if isinstance(node, (ast.Global, ast.Nonlocal)):
        return (f"`{type(node).__name__.lower()}`",
                "Pass the value in and return the result instead of writing a variable "
                "outside the function.")
    if isinstance(node, (ast.Yield, ast.YieldFrom)):
        return ("`yield` (a generator)", "Return a list or an array instead of yielding.")
    if isinstance(node, (ast.AsyncFunctionDef, ast.Await, ast.AsyncFor, ast.AsyncWith)):
        return ("`async`", "Write a plain function.")
    if isinstance(node, (ast.Try, getattr(ast, "TryStar", ast.Try))):
        return ("`try`", "Test the condition with `if` before computing, or move the "
                         "`try` around the call of the gradient.")
    if isinstance(node, ast.With):
        return ("`with`", "Move the `with` around the call of the gradient.")
    if isinstance(node, ast.Attribute) and isinstance(node.ctx, (ast.Store, ast.Del)):
        return ("an attribute write", "Return the new value instead of storing it on an "
                                      "object.")
    if isinstance(node, ast.ClassDef):
        return ("a class definition", "Define the class at module level.")
    return None
