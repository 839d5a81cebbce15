"""发展党员: the procedure from the application to full membership.

``rules`` holds the time limits of the 发展党员工作细则, ``services`` every
write (each step checks its rules there), ``selectors`` the reads (the worklist
items, the yearly plan, the as-of counts), ``forms``, ``views`` and ``documents``
(the 纪实表 and the 积极分子花名册) the interfaces.
"""
