"""The demo data set (`manage.py seed_demo`): Jiangsu's project library as the offices would find
it in November 2026. At the top of the layers: it builds with every app, and no app imports it."""
