"""Jupyter's kernel conformance suite (jupyter_kernel_test) against the mmulab kernel.

Every test of the suite is enabled by a sample below. Run by conformance.test.ts as

    JUPYTER_PATH=<prefix>/share/jupyter /usr/bin/python3 -m unittest -v mmulab_kernel_test

after `mmulab kernel install --prefix <prefix>`. The tests share one kernel and run in
alphabetical order, so every sample is self-contained: it defines what it uses, and
the `%who` sample starts with `%reset`.
"""

import unittest

import jupyter_kernel_test

# A migration small enough to run in a moment: a 64 MiB VM over 10 Gbit/s.
TINY_RUN = """vm tiny { vcpus 1, slot ram at 0 size 64MiB, workload uniform { rate 1k/s } }
tracking bm { dirty_log manual }
migration fast { bandwidth 10Gbit/s, downtime 300ms }
run tiny with bm, fast seed 1
plot dirty over iteration"""


class MmulabKernelTests(jupyter_kernel_test.KernelTests):
    kernel_name = "mmulab"
    language_name = "mmulab"
    file_extension = ".mmu"

    # test_execute_stdout: a kernel command that prints its argument.
    code_hello_world = "%echo hello, world"

    # test_execute_stderr: warnings are printed on stderr and the cell still succeeds.
    # One 4 KiB page takes 32.8 ms at 1 Mbit/s, more than the 1 ms downtime limit
    # (dsl/check.ts checkDowntimeCoversOnePage, a warning).
    code_stderr = "migration slow_link { bandwidth 1Mbit/s, downtime 1ms }"

    # test_completion: statement keywords at the top level, block keys inside a
    # block, kernel commands after `%` (dsl/completion.ts, session.ts).
    completion_samples = [
        {"text": "tr", "matches": {"tracking"}},
        {"text": "vm a {\n  vc", "matches": {"vcpus"}},
        {"text": "tracking t { dirty_log ri", "matches": {"ring", "ring_with_bitmap"}},
        {"text": "%re", "matches": {"%reset"}},
    ]

    # test_is_complete (dsl/is-complete.ts): an open `{` or `[`, or a trailing operator,
    # is incomplete; a statement the parser ends at the newline is complete, a wrong one
    # too (`table summary,`: the compiler says why); a lexing error is invalid.
    complete_code_samples = [
        "vm a { vcpus 1 }",
        "table summary",
        "table summary,",
        "%who",
    ]
    incomplete_code_samples = [
        "vm a {",
        "vm a {\n  vcpus 2,",
        "run tiny with [bm,",
        "let x = a +",
    ]
    invalid_code_samples = [
        'use "common.mmu',
    ]

    # test_pager: `%help WORD` answers with a page payload.
    code_page_something = "%help vcpus"

    # test_error: an unknown name is a compile error: one `error` message, no stderr.
    code_generate_error = "run ghost with ghost_tracking, ghost_migration"

    # test_execute_result and test_history: `%who` returns the definitions as an
    # execute_result, one `KIND NAME` line each.
    code_execute_result = [
        {
            "code": "%reset\nvm who_probe { vcpus 1\n slot s at 0 size 64MiB }\n%who",
            "result": "vm who_probe",
        },
    ]

    # test_display_data checks that EVERY display_data of a sample has the MIME type,
    # so the run (whose progress bar, summary and first chart, after the plotly.js
    # loader, are HTML) is its own sample, and the plot and the table come from it: a
    # cell with no run shows the previous results.
    code_display_data = [
        {"code": TINY_RUN, "mime": "text/html"},
        {"code": "plot remaining over time", "mime": "application/vnd.plotly.v1+json"},
        {"code": "table summary", "mime": "text/html"},
    ]

    # test_history: glob search over the inputs; matches only the %who sample above.
    code_history_pattern = "*vm who_probe *"
    supported_history_operations = ("tail", "range", "search")

    # test_inspect: Shift-Tab on a key shows its documentation (the cursor is at the
    # end of the sample, right after `vcpus`, inside a vm block).
    code_inspect_sample = "vm a { vcpus"

    # test_clear_output
    code_clear_output = "%clear"


if __name__ == "__main__":
    unittest.main()
