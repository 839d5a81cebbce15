"""Spreadsheets, shared by every import and export of the project (branches sits below
every app, so all of them may use it):

- ``reading``: the one safe reader of uploaded files (runs in a child process);
- ``cells``: turning cells into text and dates, header names, problems by row and column;
- ``forms``: the upload form;
- ``writing``: defused cells, bounded file names, xlsx responses and tables.

Nothing is imported here: the reader's child process starts from ``reading`` alone,
without Django.
"""
