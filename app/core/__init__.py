"""The pure core: spaces, regions and samplers; numpy and scipy only, nothing of web or DB."""
