"""Documents for print (dokument): one way from a rendered HTML document to a print-ready PDF."""
