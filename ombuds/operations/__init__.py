"""Operations: the worker's own schedule (the daily work, once a day, on the record), recovery of
tasks whose worker died, the heartbeat, metrics, the start-up checks of a production server, and
backup and restore."""
