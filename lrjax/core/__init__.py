"""The core: what a schedule is (a pytree of checked fields), steps, dtypes, kernel, configs."""
