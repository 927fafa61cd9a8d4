"""Static memory planning: every activation gets a compile-time offset in one arena."""

from firmware.planner.arena import ArenaPlan, Buffer, PlanStep, plan_arena

__all__ = ["ArenaPlan", "Buffer", "PlanStep", "plan_arena"]
