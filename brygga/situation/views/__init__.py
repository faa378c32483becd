"""Views of the lägesbild (situation report), one module per part."""
