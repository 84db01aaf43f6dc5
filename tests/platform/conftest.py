from tests.fixtures_platform import platform_simulator, platform_simulator_process

__all__ = ["platform_simulator", "platform_simulator_process"]
