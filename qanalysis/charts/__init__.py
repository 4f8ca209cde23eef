"""Charts: fonts, theme and every chart drawn from an Assessment."""
