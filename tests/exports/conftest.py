from tests.exports.fakes import wired

__all__ = ["wired"]
