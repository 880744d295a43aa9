"""Review (R2) of records.replay: a malformed log (hashes not one per checkpoint) is refused with a
ValueError naming it, before anything is replayed (it raised IndexError after replaying some steps)."""
import pytest

from unlearnkit import data, models, records
from unlearnkit.training import TrainConfig


def test_replay_refuses_a_log_whose_hashes_do_not_match_its_steps():
    d = data.make_blobs(40, centers=2, seed=0)
    cfg = TrainConfig(lr=0.1, batch_size=8, steps=5, seed=0)
    rec = records.record_training(models.mlp(2, 2, 4, seed=0), d, cfg)
    assert records.replay(models.mlp(2, 2, 4, seed=0), d, rec).ok
    for hashes in (rec.hashes[:3], rec.hashes + rec.hashes[-1:]):
        bad = records.TrainingRecord(rec.config, rec.batches, hashes)
        with pytest.raises(ValueError, match="record.hashes"):
            records.replay(models.mlp(2, 2, 4, seed=0), d, bad)
