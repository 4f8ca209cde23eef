"""The papermill engine that runs a report in the worker's warm kernel."""
from __future__ import annotations


def register_engine() -> str:
    """A papermill engine whose client reuses the worker's warm kernel and client.

    Before the notebook's first cell it runs the namespace reset on the same
    client (a second client on the same session steals the shell replies).
    """
    name = "qanalysis-warm"
    # Jupyter/papermill only in the process that runs a report (seconds to import)
    from papermill.engines import papermill_engines
    if name in papermill_engines._engines:
        return name
    # Jupyter/papermill only in the process that runs a report (seconds to import)
    from papermill.clientwrap import PapermillNotebookClient
    from papermill.engines import NBClientEngine
    from papermill.utils import merge_kwargs, remove_args
    from traitlets import Any as AnyTrait, Unicode
    import nbformat

    class WarmClient(PapermillNotebookClient):
        warm_kc = AnyTrait(None)
        reset_code = Unicode("")

        async def async_start_new_kernel_client(self):
            if self.warm_kc is None:
                return await super().async_start_new_kernel_client()
            self.kc = self.warm_kc  # ready already: no second wait_for_ready per report
            self.kc.allow_stdin = False
            return self.kc

        def papermill_execute_cells(self):
            if self.reset_code:
                last = self.nb.cells[-1]  # nbclient stores the executed cell at its index
                try:
                    self.execute_cell(nbformat.v4.new_code_cell(self.reset_code), -1,
                                      store_history=False)
                finally:
                    self.nb.cells[-1] = last
            super().papermill_execute_cells()

    class WarmEngine(NBClientEngine):
        @classmethod
        def execute_managed_notebook(cls, nb_man, kernel_name, log_output=False, stdout_file=None,
                                     stderr_file=None, start_timeout=60, execution_timeout=None,
                                     **kwargs):
            kwargs = remove_args(["input_path"], **kwargs)
            safe_kwargs = remove_args(["timeout", "startup_timeout"], **kwargs)
            final = merge_kwargs(safe_kwargs, timeout=execution_timeout or kwargs.get("timeout"),
                                 startup_timeout=start_timeout, kernel_name=kernel_name,
                                 log_output=log_output, stdout_file=stdout_file,
                                 stderr_file=stderr_file)
            # stdlib, needed only on this path
            import logging
            final["log"] = logging.getLogger("papermill")
            return WarmClient(nb_man, **final).execute()

    papermill_engines.register(name, WarmEngine)
    return name



def renumber(nb) -> None:
    """Execution counts 1, 2, … as in a fresh kernel (the warm kernel keeps counting)."""
    n = 0
    for cell in nb.cells:
        if cell.cell_type != "code":
            continue
        if cell.get("execution_count") is not None:
            n += 1
            cell.execution_count = n
            for out in cell.get("outputs", []):
                if "execution_count" in out:
                    out["execution_count"] = n
