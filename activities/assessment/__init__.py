"""The county's yearly assessment of its organisations: 书记述职评议, the grading of each
organisation, and ending the post of a group leader whose group was ranked last."""
