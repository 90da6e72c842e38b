"""The example storyboards, shipped inside the wheel as `longlive_dsl.examples` (`llv new --preset NAME`)."""
