"""Interval labels: the label set and everything it is made of, in one package.

``from loupe_tui.core.labels import IntervalLabelSet`` is the entry point;
the modules below are its parts, each with one concern:

===================  ===============================================================
module               concern
===================  ===============================================================
``label_set``        :class:`IntervalLabelSet`: edits, undo, queries, load and save
``store``            sorted non-overlapping rows in numpy arrays; edits planned as hunks
``diff``             :class:`LabelDiff`: what one edit changed (journal entry, undo step)
``history``          undo/redo stacks of diffs
``schema``           :class:`IntervalLabelSchema`: which user column means what
``frame``            polars frame <-> validated interval columns
``stats``            time per state, coverage, gaps, find
``journal``          the append-only edit journal that survives a crash
``files``            which file is opened and where a save goes (sibling, writeback)
``persistence``      a set's file binding and journal, held by the set
``formats``          ``.csv``/``.htsv``/``.parquet``/``.txt``/``.edf`` files
``hypnogram_txt``    read-only ``.txt`` hypnograms (Visbrain, epoch per line)
``edf_annotations``  the annotations of an EDF+/BDF+ file (header and TALs only)
``edf_stages``       sleep-stage annotations <-> labels: the stage map (AASM, R&K)
``edf_export``       labels written as an EDF+ annotations file (edfio)
``agreement``        scorings on one epoch grid: kappa, confusion, disagreements
``sleep_stats``      the sleep statistics labs report (TST, efficiency, latencies, WASO)
===================  ===============================================================

Nothing here imports :mod:`loupe_tui.io`: label files are the labels' own
concern, not a data source.
"""

from loupe_tui.core.labels.diff import Hunk, LabelDiff, LabelRow
from loupe_tui.core.labels.files import sibling_path
from loupe_tui.core.labels.journal import journal_path_for
from loupe_tui.core.labels.label_set import IntervalLabelSet
from loupe_tui.core.labels.schema import LEGACY_SCHEMA, IntervalLabelSchema
from loupe_tui.core.labels.store import VisibleLabels

__all__ = ["IntervalLabelSchema", "IntervalLabelSet", "LabelDiff", "LabelRow", "Hunk", "VisibleLabels",
           "LEGACY_SCHEMA", "sibling_path", "journal_path_for"]
