"""Running untrusted Python: the ``run_python`` tool, the child that runs the code, and the OS sandbox around it."""

from microturn._tools._sandbox._runner import SandboxLimits, python_tools, run_sandboxed

__all__ = ["SandboxLimits", "python_tools", "run_sandboxed"]
