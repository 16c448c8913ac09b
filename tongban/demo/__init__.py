"""The demo city (济宁市, 曲阜市, 汶上县): one loader above every app, calling each app's own demo loader in order."""
