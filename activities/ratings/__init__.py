"""Star ratings (评星定级) and the group ranking: computing and publishing
(``services``), and the pages' reads (``selectors``)."""
